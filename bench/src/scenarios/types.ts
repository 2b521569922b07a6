import type { RunningServer, ServerSpec } from '../servers.js'

export type Metrics = Record<string, number>

export interface ScenarioContext {
  readonly quick: boolean
  /** Starts a fresh server process of the kind under test (pinned, free port, fresh data). */
  start(extra?: { args?: readonly string[]; env?: Record<string, string> }): Promise<RunningServer & { dataDir: string }>
  /** Returns once the server has unloaded the room (Coedit: /metrics; peers: past their store delay). */
  waitForUnload(server: RunningServer, room: string): Promise<void>
  log(message: string): void
}

export interface Scenario {
  readonly id: string
  readonly title: string
  /** Which servers it makes sense for. */
  readonly appliesTo: (spec: ServerSpec) => boolean
  run(context: ScenarioContext): Promise<Metrics>
  /** Per metric: unit and whether lower is better, for the table. */
  readonly metrics: Record<string, { unit: string; lowerIsBetter: boolean; label: string }>
}
