import { useEffect, useRef, useState, type FormEvent } from 'react'
import { COLORS, type Identity } from '../lib/identity'

interface Props {
  readonly identity: Identity
  readonly onSave: (identity: Identity) => void
  readonly onClose: () => void
}

/** Name and colour, remembered in this browser. */
export function NameDialog({ identity, onSave, onClose }: Props) {
  const [name, setName] = useState(identity.name)
  const [color, setColor] = useState(identity.color)
  const dialogRef = useRef<HTMLDialogElement>(null)

  useEffect(() => {
    const dialog = dialogRef.current
    if (dialog && !dialog.open) dialog.showModal()
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
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={40} autoFocus required aria-label="Your name" />
        </label>
        <fieldset className="colors">
          <legend>Colour</legend>
          {COLORS.map((c) => (
            <label key={c} className="color-option" style={{ background: c }} title={c}>
              <input type="radio" name="color" value={c} checked={c === color} onChange={() => setColor(c)} aria-label={`Colour ${c}`} />
            </label>
          ))}
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
