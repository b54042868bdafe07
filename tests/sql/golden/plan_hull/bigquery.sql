SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  EXISTS(
    SELECT
      1
    FROM (
      SELECT
        `o`.`member_id` AS `k`
      FROM `orders` AS `o`
      WHERE
        `o`.`ordered_at` >= @history_start
        AND `o`.`ordered_at` <= @now
        AND `o`.`order_id` IN (
          SELECT
            `oi`.`order_id`
          FROM `order_items` AS `oi`
          WHERE
            `oi`.`product_no` IN (@p1, @p2) AND NOT `oi`.`order_id` IS NULL
        )
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
        `o`.`member_id` AS `k`
      FROM `orders` AS `o`
      WHERE
        `o`.`ordered_at` >= @history_start
        AND `o`.`ordered_at` <= @now
        AND `o`.`order_id` IN (
          SELECT
            `oi`.`order_id`
          FROM `order_items` AS `oi`
          WHERE
            `oi`.`product_no` = @p3 AND NOT `oi`.`order_id` IS NULL
        )
        AND `o`.`status` = @p4
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
        `o`.`ordered_at` >= @history_start
        AND `o`.`ordered_at` <= @now
        AND `o`.`order_id` IN (
          SELECT
            `oi`.`order_id`
          FROM `order_items` AS `oi`
          WHERE
            `oi`.`product_no` = @p5 AND NOT `oi`.`order_id` IS NULL
        )
    ) AS `k`
    WHERE
      `k`.`k` = `c`.`member_id`
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the number 42
--   p2: the number 43
--   t1: now - 90d
--   p3: the number 17
--   p4: the string 'canceled'
--   p5: the number 1
