// One worker of `ultrasim plan`'s parallel scan: rebuild the request from the same options, plan the
// chip counts dealt to this worker, send the result back.
import { parentPort, workerData } from "node:worker_threads";
import { plan } from "../engine/plan/search.js";
import { UltrasimError } from "../engine/errors.js";
import { buildPlanRequest } from "./planRequest.js";
import type { PlanJob } from "./planPool.js";

const job = workerData as PlanJob;
try {
  const { request } = buildPlanRequest(job.file, job.opts);
  const result = plan({ ...request, chips: job.chips, onProgress: (progress) => parentPort!.postMessage({ progress }) });
  parentPort!.postMessage({ result });
} catch (e) {
  if (!(e instanceof UltrasimError)) throw e;
  parentPort!.postMessage({ error: { code: e.code, message: e.message, field: e.where.field } });
}
