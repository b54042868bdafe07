SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  EXISTS(
    SELECT
      1
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
      AND `cd`.`name` = :p1
      AND CAST(`cd`.`name` AS BINARY) = CAST(:p1 AS BINARY)
  )

-- parameters:
--   now: now (the evaluation instant)
--   p1: the string 'Welcome'
