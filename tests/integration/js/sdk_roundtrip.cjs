// The official JavaScript SDK against a Podium server, as a user would write it: register a task
// type and a workflow, start it, serve the task with a TaskManager worker, wait for the end.
// Server and credentials come from the SDK's own environment variables (CONDUCTOR_SERVER_URL,
// CONDUCTOR_AUTH_KEY, CONDUCTOR_AUTH_SECRET); the result is printed as one JSON line.
const {
  orkesConductorClient, MetadataClient, WorkflowExecutor, TaskManager, simpleTask, workflow, taskDefinition,
} = require("@io-orkes/conductor-javascript");

// Errors the SDK logs (an update-v2 answer it cannot read shows as "Task missing required fields").
const errors = [];
const logger = { info() {}, debug() {}, warn() {}, error: (...args) => errors.push(args.map(String).join(" ")) };

async function main() {
  const name = process.argv[2];
  const client = await orkesConductorClient({});
  const metadata = new MetadataClient(client);
  const executor = new WorkflowExecutor(client);
  await metadata.registerTask(taskDefinition({ name: `${name}_add`, retryCount: 0, ownerEmail: "js@example.com" }));
  const wf = workflow(name, [simpleTask("add", `${name}_add`, { x: "${workflow.input.x}" })]);
  wf.outputParameters = { y: "${add.output.y}" };
  await executor.registerWorkflow(true, wf);
  const manager = new TaskManager(client, [
    { taskDefName: `${name}_add`, execute: async (task) => ({ status: "COMPLETED", outputData: { y: task.inputData.x + 1 } }) },
  ], { options: { pollInterval: 20, concurrency: 2 }, logger });
  manager.startPolling();
  const id = await executor.startWorkflow({ name, version: 1, input: { x: 41 } });
  const deadline = Date.now() + 20000;
  let run;
  for (;;) {
    run = await executor.getWorkflow(id, true);
    if (run.status !== "RUNNING" || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await manager.stopPolling();
  console.log(JSON.stringify({ id, status: run.status, output: run.output, errors }));
}

main().then(() => process.exit(0), (err) => {
  console.log(JSON.stringify({ error: String((err && err.message) || err) }));
  process.exit(1);
});
