-- Issue #18. A poll no longer moves its workflow's next check to the task's response deadline: the decide
-- that schedules a worker task with a response timeout now stores a check no later than the scheduling
-- time plus that timeout, which no poll's deadline can precede (docs/architecture.md, "Next checks").
-- Workflows decided before this release carry no such check, so every running or paused one is due now
-- (an earlier check is kept; LEAST ignores a NULL one): the sweeper decides each once, and the rule
-- applies from then on.
UPDATE workflows
SET next_check = LEAST(next_check, floor(extract(epoch FROM now()) * 1000)::bigint)
WHERE status IN ('RUNNING', 'PAUSED');
