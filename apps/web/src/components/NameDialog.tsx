import { useEffect, useRef, useState, type FormEvent } from 'react'
import { PALETTE, type Identity } from '../lib/identity'

interface Props {
  readonly identity: Identity
  readonly onSave: (identity: Identity) => void
  readonly onClose: () => void
  /** Colours others here wear, with who wears them: marked and not offered. */
  readonly inUse?: ReadonlyMap<string, string>
  /** The link names this person (token mode): the name cannot be changed here. */
  readonly lockedName?: string | null
}

/** Name and colour, remembered in this browser. */
export function NameDialog({ identity, onSave, onClose, inUse = new Map(), lockedName = null }: Props) {
  const [name, setName] = useState(lockedName ?? identity.name)
  const [color, setColor] = useState(identity.color)
  const dialogRef = useRef<HTMLDialogElement>(null)

  useEffect(() => {
    const dialog = dialogRef.current
    // Focus goes back where it was (the name chip) when the dialog closes, however it closes.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
    if (dialog && !dialog.open) dialog.showModal()
    return () => opener?.focus()
  }, [])

  const submit = (event: FormEvent): void => {
    event.preventDefault()
    const trimmed = name.trim().slice(0, 40)
    if (trimmed) onSave({ name: trimmed, color })
    onClose()
  }

  return (
    <dialog ref={dialogRef} className="dialog" onClose={onClose} aria-labelledby="name-dialog-title">
      <form onSubmit={submit}>
        <h2 id="name-dialog-title">How others see you</h2>
        <label className="field">
          <span>Name</span>
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={40}
            autoFocus={!lockedName}
            required
            readOnly={lockedName !== null}
            aria-label="Your name"
            aria-describedby={lockedName ? 'name-locked-note' : undefined}
          />
        </label>
        {lockedName && (
          <p id="name-locked-note" className="field-note">
            Your link names you {lockedName}.
          </p>
        )}
        <fieldset className="colors">
          <legend>Colour</legend>
          {PALETTE.map((entry) => {
            const taken = inUse.get(entry.color) ?? null
            return (
              <label
                key={entry.color}
                className={`color-option${taken ? ' taken' : ''}`}
                style={{ background: entry.color }}
                title={taken ? `${entry.name} (worn by ${taken})` : entry.name}
              >
                <input
                  type="radio"
                  name="color"
                  value={entry.color}
                  checked={entry.color === color}
                  disabled={taken !== null && entry.color !== color}
                  onChange={() => setColor(entry.color)}
                  aria-label={taken ? `${entry.name}, worn by ${taken}` : entry.name}
                  autoFocus={lockedName !== null && entry.color === color}
                />
              </label>
            )
          })}
        </fieldset>
        <div className="dialog-actions">
          <button type="button" className="button ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary">
            Save
          </button>
        </div>
      </form>
    </dialog>
  )
}
