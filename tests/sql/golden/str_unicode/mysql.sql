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
      AND `cd`.`name` IN (:p1, :p2, :p3)
      AND CAST(`cd`.`name` AS BINARY) IN (CAST(:p1 AS BINARY), CAST(:p2 AS BINARY), CAST(:p3 AS BINARY))
  )
  OR EXISTS(
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
      AND LOCATE(CAST(:p4 AS BINARY), CAST(`cd`.`name` AS BINARY)) > 0
  )

-- parameters:
--   now: now (the evaluation instant)
--   p1: the string '쿠폰 10%'
--   p2: the string 'naïve'
--   p3: the string 'クーポン'
--   p4: the substring '😀'
