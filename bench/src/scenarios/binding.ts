import type { Metrics, Scenario } from './types.js'

/** Placeholder until the browser measurement lands; see binding-page. */
export const binding: Scenario = {
  id: 'binding',
  title: 'Textarea binding on a 200,000-character document (Chromium)',
  appliesTo: (spec) => spec.id === 'coedit',
  metrics: {
    keystroke: { unit: 'ms', lowerIsBetter: true, label: 'binding (200k chars): local keystroke' },
    remoteEdit: { unit: 'ms', lowerIsBetter: true, label: 'binding (200k chars): apply one remote edit' },
  },
  async run(): Promise<Metrics> {
    throw new Error('not measured yet')
  },
}
