// The editor benchmark's figures: what one round of keys measured, what a document size
// gathers over its rounds, and the metrics (with their labels) the report prints.
import type { EditorProbe } from '../editor-probe.js'
import { median, percentile } from '../stats.js'
import type { Metrics, Scenario } from './types.js'

/** Keystroke figures from the typist's and a viewer's probes, paired key by key. */
export interface Round {
  local: number[]
  /** Key event → presented (Event Timing), a key under 16 ms counted as 16. */
  presented: number[]
  /** Where each key's frame went (see EditorProbe.phases). */
  phases: EditorProbe['phases'][number][]
  remote: number[]
  longTasks: number
  /** Of those, the typist's page's (the rest are the viewer's). */
  typistLongTasks: number
  /** Of the typist's, those its own script pushed over 50 ms (under 50 without the page's callbacks). */
  typistScriptLongTasks: number
  /** CPU of the whole browser (every page, GPU and browser process) per key, in ms. */
  browserCpuPerKey: number
}

/** Rounds of one kind, as one. */
export function joinRounds(rounds: readonly Round[]): Round {
  const keys = rounds.reduce((sum, r) => sum + r.local.length, 0)
  return {
    local: rounds.flatMap((r) => r.local),
    presented: rounds.flatMap((r) => r.presented),
    phases: rounds.flatMap((r) => r.phases),
    remote: rounds.flatMap((r) => r.remote),
    longTasks: rounds.reduce((sum, r) => sum + r.longTasks, 0),
    typistLongTasks: rounds.reduce((sum, r) => sum + r.typistLongTasks, 0),
    typistScriptLongTasks: rounds.reduce((sum, r) => sum + r.typistScriptLongTasks, 0),
    browserCpuPerKey: rounds.reduce((sum, r) => sum + r.browserCpuPerKey * r.local.length, 0) / keys,
  }
}

export interface SizeFigures {
  open: number
  local: number[]
  presented: number[]
  floorPresented: number[]
  phases: Round['phases']
  floorPhases: Round['phases']
  coldLocal: number[]
  floorColdLocal: number[]
  remote: number[]
  longTasks: number
  typistLongTasks: number
  typistScriptLongTasks: number
  floorLocal: number[]
  floorRemote: number[]
  floorLongTasks: number
  floorTypistLongTasks: number
  floorTypistScriptLongTasks: number
  cpuPerKey: number
  floorCpuPerKey: number
}

export function sizeMetrics(prefix: string, figures: SizeFigures): Metrics {
  const floorRemote = median(figures.floorRemote)
  const floorLocal = median(figures.floorLocal)
  return {
    [`${prefix}Open`]: figures.open,
    [`${prefix}RemoteP50`]: median(figures.remote),
    [`${prefix}RemoteP95`]: percentile(figures.remote, 95),
    [`${prefix}RemoteMax`]: Math.max(...figures.remote),
    [`${prefix}FloorRemoteP50`]: floorRemote,
    [`${prefix}FloorRemoteMax`]: Math.max(...figures.floorRemote),
    [`${prefix}RemoteRatio`]: median(figures.remote) / floorRemote,
    [`${prefix}RemoteMaxRatio`]: Math.max(...figures.remote) / floorRemote,
    [`${prefix}LocalP50`]: median(figures.local),
    [`${prefix}LocalP95`]: percentile(figures.local, 95),
    [`${prefix}LocalMax`]: Math.max(...figures.local),
    [`${prefix}FloorLocalP50`]: floorLocal,
    [`${prefix}LocalRatio`]: median(figures.local) / floorLocal,
    [`${prefix}PresentedP50`]: median(figures.presented),
    [`${prefix}FloorPresentedP50`]: median(figures.floorPresented),
    [`${prefix}PresentedRatio`]: median(figures.presented) / median(figures.floorPresented),
    [`${prefix}ColdLocalRatio`]: median(figures.coldLocal) / median(figures.floorColdLocal),
    [`${prefix}KeyHandlers`]: median(figures.phases.map((p) => p.handlers)),
    [`${prefix}FloorKeyHandlers`]: median(figures.floorPhases.map((p) => p.handlers)),
    [`${prefix}KeyToFrame`]: median(figures.phases.map((p) => p.toFrame)),
    [`${prefix}FloorKeyToFrame`]: median(figures.floorPhases.map((p) => p.toFrame)),
    [`${prefix}KeyFrame`]: median(figures.phases.map((p) => p.frame)),
    [`${prefix}FloorKeyFrame`]: median(figures.floorPhases.map((p) => p.frame)),
    [`${prefix}KeyToFrameScript`]: median(figures.phases.map((p) => p.toFrameScript)),
    [`${prefix}FloorKeyToFrameScript`]: median(figures.floorPhases.map((p) => p.toFrameScript)),
    [`${prefix}KeyFrameScript`]: median(figures.phases.map((p) => p.frameScript)),
    [`${prefix}FloorKeyFrameScript`]: median(figures.floorPhases.map((p) => p.frameScript)),
    [`${prefix}LongTasks`]: figures.longTasks,
    [`${prefix}FloorLongTasks`]: figures.floorLongTasks,
    [`${prefix}TypistLongTasks`]: figures.typistLongTasks,
    [`${prefix}FloorTypistLongTasks`]: figures.floorTypistLongTasks,
    [`${prefix}TypistScriptLongTasks`]: figures.typistScriptLongTasks,
    [`${prefix}FloorTypistScriptLongTasks`]: figures.floorTypistScriptLongTasks,
    [`${prefix}CpuPerKey`]: figures.cpuPerKey,
    [`${prefix}FloorCpuPerKey`]: figures.floorCpuPerKey,
    [`${prefix}CpuRatio`]: figures.cpuPerKey / figures.floorCpuPerKey,
  }
}

export function metricsFor(prefix: string, label: string): Scenario['metrics'] {
  const ms = (name: string) => ({ unit: 'ms', lowerIsBetter: true, label: `editor (${label}, 3 people): ${name}` })
  const ratio = (name: string) => ({ unit: '×', lowerIsBetter: true, label: `editor (${label}, 3 people): ${name}` })
  return {
    [`${prefix}Open`]: ms('open until editable'),
    [`${prefix}RemoteP50`]: ms("other's keydown → shown here, p50"),
    [`${prefix}RemoteP95`]: ms("other's keydown → shown here, p95"),
    [`${prefix}RemoteMax`]: ms("other's keydown → shown here, max"),
    [`${prefix}FloorRemoteP50`]: ms('floor (bare textareas, raw relay): keydown → shown, p50'),
    [`${prefix}FloorRemoteMax`]: ms('floor: keydown → shown, max'),
    [`${prefix}RemoteRatio`]: ratio('shown p50 / floor p50 (target ≤ 1.3)'),
    [`${prefix}RemoteMaxRatio`]: ratio('shown max / floor p50 (target ≤ 2)'),
    [`${prefix}LocalP50`]: ms('own key → next frame, p50'),
    [`${prefix}LocalP95`]: ms('own key → next frame, p95'),
    [`${prefix}LocalMax`]: ms('own key → next frame, max'),
    [`${prefix}FloorLocalP50`]: ms('floor: own key → next frame, p50'),
    [`${prefix}LocalRatio`]: ratio('own key p50 / floor p50 (target ≤ 1.2)'),
    [`${prefix}PresentedP50`]: ms('own key → frame presented (Event Timing), p50'),
    [`${prefix}FloorPresentedP50`]: ms('floor: own key → frame presented, p50'),
    [`${prefix}PresentedRatio`]: ratio('own key presented p50 / floor p50'),
    [`${prefix}ColdLocalRatio`]: ratio('the first keys after opening (V8 still compiling): own key p50 / floor'),
    [`${prefix}KeyHandlers`]: ms("own key: the page's key and input handlers, p50"),
    [`${prefix}FloorKeyHandlers`]: ms('floor: own key: handlers, p50'),
    [`${prefix}KeyToFrame`]: ms('own key → start of the next frame (first animation-frame callback), p50'),
    [`${prefix}FloorKeyToFrame`]: ms('floor: own key → start of the next frame, p50'),
    [`${prefix}KeyFrame`]: ms("own key: that frame's callbacks, style, layout and paint, and tasks queued before its end, p50"),
    [`${prefix}FloorKeyFrame`]: ms('floor: own key: that frame, p50'),
    [`${prefix}KeyToFrameScript`]: ms("own key → next frame: of it, the page's own callbacks (handlers included), p50"),
    [`${prefix}FloorKeyToFrameScript`]: ms('floor: own key → next frame: its callbacks, p50'),
    [`${prefix}KeyFrameScript`]: ms("own key: that frame: of it, the page's own callbacks, p50"),
    [`${prefix}FloorKeyFrameScript`]: ms('floor: own key: that frame: its callbacks, p50'),
    [`${prefix}LongTasks`]: { unit: '', lowerIsBetter: true, label: `editor (${label}, 3 people): long tasks (> 50 ms) in typist + viewer while typing` },
    [`${prefix}FloorLongTasks`]: { unit: '', lowerIsBetter: true, label: `editor (${label}): floor: long tasks in typist + viewer (the browser's own)` },
    [`${prefix}TypistLongTasks`]: { unit: '', lowerIsBetter: true, label: `editor (${label}, 3 people): of those, in the typist's page` },
    [`${prefix}FloorTypistLongTasks`]: { unit: '', lowerIsBetter: true, label: `editor (${label}): floor: of those, in the typist's page` },
    [`${prefix}TypistScriptLongTasks`]: {
      unit: '',
      lowerIsBetter: true,
      label: `editor (${label}, 3 people): of the typist's, pushed over 50 ms by the page's own script (under 50 without it)`,
    },
    [`${prefix}FloorTypistScriptLongTasks`]: { unit: '', lowerIsBetter: true, label: `editor (${label}): floor: of the typist's, pushed over by its script` },
    [`${prefix}CpuPerKey`]: ms('browser CPU per key, all three pages'),
    [`${prefix}FloorCpuPerKey`]: ms('floor: browser CPU per key, all three pages'),
    [`${prefix}CpuRatio`]: ratio('browser CPU per key / floor'),
  }
}

/**
 * The web editor as people use it: three Chromium pages on one document through the real
 * server, carets drawn; the typist's key to their next frame, and to the frame that shows
 * it to another person; against bare textareas on a raw relay in the same run.
 */
