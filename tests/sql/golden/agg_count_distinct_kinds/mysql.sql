SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  (
    (
      SELECT
        COUNT(DISTINCT CAST(`o`.`status` AS BINARY)) >= :p1
      FROM `orders` AS `o`
      WHERE
        `o`.`member_id` = `c`.`member_id`
        AND CAST(`o`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
        AND `o`.`ordered_at` >= :history_start
        AND `o`.`ordered_at` <= :now
    )
    AND (
      SELECT
        COUNT(DISTINCT CAST(`cd`.`issue_type` AS BINARY)) >= :p2
      FROM `customer_coupons` AS `cc`
      LEFT JOIN `coupons` AS `cd`
        ON `cd`.`coupon_no` = `cc`.`coupon_no`
        AND CAST(`cd`.`coupon_no` AS BINARY) = CAST(`cc`.`coupon_no` AS BINARY)
      WHERE
        `cc`.`member_id` = `c`.`member_id`
        AND CAST(`cc`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
        AND `cc`.`used_at` IS NULL
        AND `cc`.`issued_at` <= :now
        AND `cc`.`expires_at` >= :now
    )
  )
  OR (
    SELECT
      COUNT(DISTINCT `o`.`ordered_at`) >= :p3
    FROM `orders` AS `o`
    WHERE
      `o`.`member_id` = `c`.`member_id`
      AND CAST(`o`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `o`.`ordered_at` >= :history_start
      AND `o`.`ordered_at` <= :now
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 2
--   p2: the number 1
--   p3: the number 3
