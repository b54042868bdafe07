SELECT
  `c`.`member_id` AS `member_id`
FROM `customers` AS `c`
WHERE
  (
    SELECT
      COALESCE(SUM(`o`.`paid_amount`), 0) >= :p2
    FROM `orders` AS `o`
    WHERE
      `o`.`member_id` = `c`.`member_id`
      AND CAST(`o`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `o`.`ordered_at` >= :history_start
      AND `o`.`ordered_at` <= :now
      AND `o`.`status` = :p1
      AND CAST(`o`.`status` AS BINARY) = CAST(:p1 AS BINARY)
  )
  AND (
    SELECT
      SUM(`o`.`paid_amount`) < :p4 * COUNT(`o`.`paid_amount`)
    FROM `orders` AS `o`
    WHERE
      `o`.`member_id` = `c`.`member_id`
      AND CAST(`o`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `o`.`ordered_at` >= :history_start
      AND `o`.`ordered_at` <= :now
      AND `o`.`status` = :p3
      AND CAST(`o`.`status` AS BINARY) = CAST(:p3 AS BINARY)
  )
  AND NOT COALESCE(
    (
      SELECT
        MAX(`o`.`ordered_at`) >= :t1 AND MAX(`o`.`ordered_at`) <= :now
      FROM `orders` AS `o`
      WHERE
        `o`.`member_id` = `c`.`member_id`
        AND CAST(`o`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
        AND `o`.`ordered_at` >= :history_start
        AND `o`.`ordered_at` <= :now
        AND `o`.`status` = :p5
        AND CAST(`o`.`status` AS BINARY) = CAST(:p5 AS BINARY)
    ),
    FALSE
  )
  AND (
    SELECT
      MIN(`o`.`paid_amount`) > :p6
    FROM `orders` AS `o`
    WHERE
      `o`.`member_id` = `c`.`member_id`
      AND CAST(`o`.`member_id` AS BINARY) = CAST(`c`.`member_id` AS BINARY)
      AND `o`.`ordered_at` >= :history_start
      AND `o`.`ordered_at` <= :now
  )
  AND (
    SELECT
      COUNT(DISTINCT CAST(`o`.`status` AS BINARY)) <= :p7
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
--   p1: the string 'paid'
--   p2: the number 50000
--   p3: the string 'paid'
--   p4: the number 100000
--   p5: the string 'canceled'
--   t1: now - 90d
--   p6: the number 0.5
--   p7: the number 3
