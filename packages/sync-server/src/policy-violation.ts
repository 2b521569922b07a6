import type { CloseCause } from './session.js'

/** A well-formed message the server will not accept (a limit); the sender is closed with 1008. */
export class PolicyViolation extends Error {
  override readonly name = 'PolicyViolation'
  constructor(
    readonly closeCause: CloseCause,
    message: string,
  ) {
    super(message)
  }
}
