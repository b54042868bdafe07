SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM (
      SELECT
        `o`.`member_id` AS `k`
      FROM `orders` AS `o`
      WHERE
        `o`.`ordered_at` >= @history_start
        AND `o`.`ordered_at` <= @now
        AND `o`.`ordered_at` >= @t1
    ) AS `k`
    WHERE
      `k`.`k` = `c`.`member_id`
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM (
      SELECT
        `ci`.`member_id` AS `k`
      FROM `cart_items` AS `ci`
      WHERE
        `ci`.`added_at` >= @cart_start AND `ci`.`added_at` <= @now
      GROUP BY
        `ci`.`member_id`
      HAVING
        COALESCE(SUM(`ci`.`quantity`), 0) >= @p1
    ) AS `k`
    WHERE
      `k`.`k` = `c`.`member_id`
  )
  AND EXISTS(
    SELECT
      1
    FROM (
      SELECT
        `cc`.`member_id` AS `k`
      FROM `customer_coupons` AS `cc`
      WHERE
        `cc`.`used_at` IS NULL AND `cc`.`issued_at` <= @now AND `cc`.`expires_at` >= @now
    ) AS `k`
    WHERE
      `k`.`k` = `c`.`member_id`
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM (
      SELECT
        `o`.`member_id` AS `k`
      FROM `orders` AS `o`
      WHERE
        `o`.`ordered_at` >= @history_start AND `o`.`ordered_at` <= @now
      GROUP BY
        `o`.`member_id`
      HAVING
        NOT (
          COUNT(*) < @p2
        )
    ) AS `k`
    WHERE
      `k`.`k` = `c`.`member_id`
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   t1: now - 30d
--   cart_start: now - cart retention (the oldest cart item still in the cart)
--   p1: the number 2
--   p2: the number 4
