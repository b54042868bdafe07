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
        `o`.`ordered_at` >= :history_start
        AND `o`.`ordered_at` <= :now
        AND `o`.`status` = :p1
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
        `o`.`ordered_at` >= :history_start
        AND `o`.`ordered_at` <= :now
        AND `o`.`status` = :p2
      GROUP BY
        `o`.`member_id`
      HAVING
        NOT (
          COUNT(*) < :p3
        )
    ) AS `k`
    WHERE
      `k`.`k` = `c`.`member_id`
  )
  AND EXISTS(
    SELECT
      1
    FROM (
      SELECT
        `o`.`member_id` AS `k`
      FROM `orders` AS `o`
      WHERE
        `o`.`ordered_at` >= :history_start AND `o`.`ordered_at` <= :now
      GROUP BY
        `o`.`member_id`
      HAVING
        COALESCE(SUM(`o`.`paid_amount`), 0) <> :p4
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
        `o`.`ordered_at` >= :history_start AND `o`.`ordered_at` <= :now
      GROUP BY
        `o`.`member_id`
      HAVING
        SUM(`o`.`paid_amount`) > :p5 * COUNT(`o`.`paid_amount`)
    ) AS `k`
    WHERE
      `k`.`k` = `c`.`member_id`
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'paid'
--   p2: the string 'paid'
--   p3: the number 3
--   p4: the number 0
--   p5: the number 1000
