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
        AND `o`.`status` = @p1
    ) AS `k`
    WHERE
      `k`.`k` = `c`.`member_id`
  )

-- parameters:
--   history_start: start of the history start date in the shop's zone (orders before it are ignored)
--   now: now (the evaluation instant)
--   p1: the string 'paid'
