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
        AND LOCATE(:p1, `o`.`order_id`) > 0
    ) AS `k`
    WHERE
      `k`.`k` = `c`.`member_id`
  )
  OR EXISTS(
    SELECT
      1
    FROM (
      SELECT
        `o`.`member_id` AS `k`
      FROM `orders` AS `o`
      WHERE
        `o`.`ordered_at` >= :history_start
        AND `o`.`ordered_at` <= :now
        AND `o`.`order_id` = :p2
    ) AS `k`
    WHERE
      `k`.`k` = `c`.`member_id`
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the substring "'"
--   p2: the string 'o00001'
