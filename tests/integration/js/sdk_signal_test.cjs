// The JS SDK's WorkflowExecutor.testWorkflow, signal and signalAsync against a Podium server, as a user
// would call them; the results are printed as one JSON line.
const { orkesConductorClient, WorkflowExecutor, simpleTask, workflow } = require("@io-orkes/conductor-javascript");

async function main() {
  const name = process.argv[2];
  const client = await orkesConductorClient({});
  const executor = new WorkflowExecutor(client);
  const def = workflow(`${name}_mocked`, [simpleTask("charge", `${name}_charge`, { x: "${workflow.input.x}" })]);
  def.outputParameters = { paid: "${charge.output.paid}" };
  const tested = await executor.testWorkflow({
    name: def.name, workflowDef: def, input: { x: 1 },
    taskRefToMockOutput: { charge: [{ status: "FAILED", output: {} }, { status: "COMPLETED", output: { paid: true } }] },
  });
  const waits = workflow(`${name}_waits`, [
    { name: "w1", taskReferenceName: "w1", type: "WAIT", inputParameters: {} },
    { name: "w2", taskReferenceName: "w2", type: "WAIT", inputParameters: {} },
  ]);
  await executor.registerWorkflow(true, waits);
  const id = await executor.startWorkflow({ name: waits.name, version: 1, input: {} });
  const sync = await executor.signal(id, "COMPLETED", { a: 1 }, "BLOCKING_TASK");
  await executor.signalAsync(id, "COMPLETED", { b: 2 });
  const run = await executor.getWorkflow(id, true);
  console.log(JSON.stringify({
    tested: { status: tested.status, output: tested.output, attempts: tested.tasks.map((t) => t.status) },
    sync: { responseType: sync.responseType, ref: sync.referenceTaskName, target: sync.targetWorkflowId === id },
    run: { status: run.status, outputs: run.tasks.map((t) => t.outputData) },
  }));
}

main().then(() => process.exit(0), (err) => {
  console.log(JSON.stringify({ error: String((err && err.message) || err) }));
  process.exit(1);
});
