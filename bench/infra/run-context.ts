/** What every scenario of one benchmark run shares: where to put files, how loud the services log. */
export interface RunContext {
  /** Scratch space (bundles, stored documents), removed at the end of the run. */
  workDir: string;
  /** One log file per service process, kept under bench/results/ for a look after the run. */
  logDir: string;
  /** LOG_LEVEL of the API and the worker (the simulator is always silent). */
  logLevel: string;
  /** Pre-built onboarding workflow bundle, when a scenario needs the worker. */
  serviceBundlePath?: string;
  floorBundlePath?: string;
  /** NODE_OPTIONS of both worker processes (service and floor), for experiments such as a smaller heap. */
  workerNodeOptions?: string;
}
