SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  EXISTS(
    SELECT
      1
    FROM `customer_coupons` AS `cc`
    WHERE
      `cc`.`member_id` = `c`.`member_id`
      AND CAST(`cc`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `cc`.`used_at` IS NULL
      AND `cc`.`issued_at` <= :now
      AND `cc`.`expires_at` >= :now
      AND `cc`.`coupon_no` = :p1
      AND CAST(`cc`.`coupon_no` AS BINARY) = CAST(:p1 AS BINARY)
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM `customer_coupons` AS `cc`
    WHERE
      `cc`.`member_id` = `c`.`member_id`
      AND CAST(`cc`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `cc`.`used_at` IS NULL
      AND `cc`.`issued_at` <= :now
      AND `cc`.`expires_at` >= :now
      AND `cc`.`coupon_no` = :p2
      AND CAST(`cc`.`coupon_no` AS BINARY) = CAST(:p2 AS BINARY)
  )

-- parameters:
--   now: now (the evaluation instant)
--   p1: the string 'abc'
--   p2: the string 'ABC'
