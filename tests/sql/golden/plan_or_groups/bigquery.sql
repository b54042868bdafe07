SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  (
    EXISTS(
      SELECT
        1
      FROM (
        SELECT
          `ci`.`member_id` AS `k`
        FROM `cart_items` AS `ci`
        WHERE
          `ci`.`added_at` >= @cart_start
          AND `ci`.`added_at` <= @now
          AND `ci`.`product_no` = @p1
      ) AS `k`
      WHERE
        `k`.`k` = `c`.`member_id`
    )
    AND EXISTS(
      SELECT
        1
      FROM (
        SELECT
          `ci`.`member_id` AS `k`
        FROM `cart_items` AS `ci`
        WHERE
          `ci`.`added_at` >= @cart_start
          AND `ci`.`added_at` <= @now
          AND `ci`.`product_no` = @p2
        GROUP BY
          `ci`.`member_id`
        HAVING
          COALESCE(SUM(`ci`.`quantity`), 0) >= @p3
      ) AS `k`
      WHERE
        `k`.`k` = `c`.`member_id`
    )
  )
  OR (
    EXISTS(
      SELECT
        1
      FROM (
        SELECT
          `cc`.`member_id` AS `k`
        FROM `customer_coupons` AS `cc`
        LEFT JOIN `coupons` AS `cd`
          ON `cd`.`coupon_no` = `cc`.`coupon_no`
        WHERE
          `cc`.`used_at` IS NULL
          AND `cc`.`issued_at` <= @now
          AND `cc`.`expires_at` >= @now
          AND `cc`.`coupon_no` = @p4
          AND `cd`.`issue_type` = @p5
      ) AS `k`
      WHERE
        `k`.`k` = `c`.`member_id`
    )
    AND NOT EXISTS(
      SELECT
        1
      FROM (
        SELECT
          `cc`.`member_id` AS `k`
        FROM `customer_coupons` AS `cc`
        LEFT JOIN `coupons` AS `cd`
          ON `cd`.`coupon_no` = `cc`.`coupon_no`
        WHERE
          `cc`.`used_at` IS NULL
          AND `cc`.`issued_at` <= @now
          AND `cc`.`expires_at` >= @now
          AND `cc`.`coupon_no` = @p6
          AND NOT (
            `cd`.`issue_type` = @p7
          )
      ) AS `k`
      WHERE
        `k`.`k` = `c`.`member_id`
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
