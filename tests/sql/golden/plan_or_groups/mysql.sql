SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  (
    EXISTS(
      SELECT
        1
      FROM `cart_items` AS `ci`
      WHERE
        `ci`.`member_id` = `c`.`member_id`
        AND CAST(`ci`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
        AND `ci`.`added_at` >= :cart_start
        AND `ci`.`added_at` <= :now
        AND `ci`.`product_no` = :p1
    )
    AND (
      SELECT
        COALESCE(SUM(`ci`.`quantity`), 0) >= :p3
      FROM `cart_items` AS `ci`
      WHERE
        `ci`.`member_id` = `c`.`member_id`
        AND CAST(`ci`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
        AND `ci`.`added_at` >= :cart_start
        AND `ci`.`added_at` <= :now
        AND `ci`.`product_no` = :p2
    )
  )
  OR (
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
        AND `cc`.`coupon_no` = :p4
        AND CAST(`cc`.`coupon_no` AS BINARY) = CAST(:p4 AS BINARY)
        AND `cd`.`issue_type` = :p5
        AND CAST(`cd`.`issue_type` AS BINARY) = CAST(:p5 AS BINARY)
    )
    AND NOT EXISTS(
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
        AND `cc`.`coupon_no` = :p6
        AND CAST(`cc`.`coupon_no` AS BINARY) = CAST(:p6 AS BINARY)
        AND NOT (
          `cd`.`issue_type` = :p7
          AND CAST(`cd`.`issue_type` AS BINARY) = CAST(:p7 AS BINARY)
        )
    )
  )

-- parameters:
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   now: now (the evaluation instant)
--   p1: the number 17
--   p2: the number 17
--   p3: the number 3
--   p4: the string 'abc'
--   p5: the string 'signup'
--   p6: the string 'abc'
--   p7: the string 'signup'
