// The JS SDK's SchedulerClient against a Podium server, as a user would call it; the results are printed
// as one JSON line.
const { orkesConductorClient, SchedulerClient, MetadataClient, workflow } = require("@io-orkes/conductor-javascript");

async function main() {
  const name = process.argv[2];
  const client = await orkesConductorClient({});
  const metadata = new MetadataClient(client);
  const scheduler = new SchedulerClient(client);
  const def = workflow(`${name}_wf`, [{ name: "n", taskReferenceName: "n", type: "NOOP", inputParameters: {} }]);
  await metadata.registerWorkflowDef(def, true);
  await scheduler.saveSchedule({
    name,
    cronExpression: "* * * * * *",
    runCatchupScheduleInstances: true,
    startWorkflowRequest: { name: def.name, version: 1, input: { from: "js" } },
  });
  const saved = await scheduler.getSchedule(name);
  const listed = (await scheduler.getAllSchedules(def.name)).map((s) => s.name);
  const next = await scheduler.getNextFewSchedules("0 0 12 * * MON-FRI", 1767614400000, undefined, 3);
  // wait (bounded) for two fires, then pause
  let found = { results: [] };
  for (let i = 0; i < 150 && found.results.length < 2; i++) {
    found = await scheduler.search(0, 100, "", "*", `scheduleName = '${name}'`);
    if (found.results.length < 2) await new Promise((r) => setTimeout(r, 100));
  }
  await scheduler.pauseSchedule(name, "js pause");
  const paused = await scheduler.getSchedule(name);
  await scheduler.resumeSchedule(name);
  const resumed = await scheduler.getSchedule(name);
  await scheduler.setSchedulerTags([{ key: "team", value: "js", type: "METADATA" }], name);
  const tags = await scheduler.getSchedulerTags(name);
  await scheduler.deleteSchedulerTags([{ key: "team", value: "js", type: "METADATA" }], name);
  const tagsAfter = await scheduler.getSchedulerTags(name);
  await scheduler.pauseAllSchedules();
  await scheduler.resumeAllSchedules();
  await scheduler.requeueAllExecutionRecords();
  await scheduler.pauseSchedule(name);
  await scheduler.deleteSchedule(name);
  let missing = null;
  try {
    await scheduler.getSchedule(name);
  } catch (err) {
    missing = String((err && err.message) || err);
  }
  console.log(JSON.stringify({
    saved: { name: saved.name, cron: saved.cronExpression, zoneId: saved.zoneId, next: saved.nextRunTime > 0 },
    listed, next,
    fires: found.results.map((e) => ({ state: e.state, workflowId: e.workflowId, scheduledTime: e.scheduledTime })),
    paused: { paused: paused.paused, reason: paused.pausedReason },
    resumed: resumed.paused,
    tags, tagsAfter, missing,
  }));
}

main().then(() => process.exit(0), (err) => {
  console.log(JSON.stringify({ error: String((err && err.message) || err) }));
  process.exit(1);
});
