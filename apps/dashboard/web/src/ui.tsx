/** Building blocks every page uses: headings, fields, buttons, alerts, copy, tables, badges. */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

/** A page's title (also the document title) and its content. */
export function Page(props: {
  title: string;
  lead?: ReactNode;
  children: ReactNode;
  actions?: ReactNode;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · ferry`;
  }, [props.title]);
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <div>
          <h1 id="page-title" ref={heading} tabIndex={-1}>
            {props.title}
          </h1>
          {props.lead !== undefined && <p className="lead">{props.lead}</p>}
        </div>
        {props.actions !== undefined && <div className="page-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** A labelled input with its hint and error. */
export function Field(props: {
  label: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  type?: string;
  hint?: ReactNode;
  required?: boolean;
  autoComplete?: string;
  placeholder?: string;
  minLength?: number;
  readOnly?: boolean;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>
        {props.label}
        {props.required === true && <span aria-hidden="true"> *</span>}
      </label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value}
        required={props.required}
        autoComplete={props.autoComplete}
        placeholder={props.placeholder}
        minLength={props.minLength}
        readOnly={props.readOnly}
        aria-describedby={props.hint !== undefined ? hintId : undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.hint !== undefined && (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

/** A labelled select. */
export function Select(props: {
  label: string;
  name: string;
  value: string;
  options: readonly (string | { value: string; label: string })[];
  onChange: (value: string) => void;
  hint?: ReactNode;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <select
        id={id}
        name={props.name}
        value={props.value}
        disabled={props.disabled}
        aria-describedby={props.hint !== undefined ? `${id}-hint` : undefined}
        onChange={(e) => props.onChange(e.target.value)}
      >
        {props.options.map((o) => {
          const { value, label } = typeof o === 'string' ? { value: o, label: o } : o;
          return (
            <option key={value} value={value}>
              {label}
            </option>
          );
        })}
      </select>
      {props.hint !== undefined && (
        <p className="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

/** One choice among a few, as radio buttons under a legend. */
export function RadioGroup<T extends string>(props: {
  legend: string;
  name: string;
  value: T;
  options: readonly { value: T; label: ReactNode }[];
  onChange: (value: T) => void;
  disabled?: boolean;
}) {
  return (
    <fieldset disabled={props.disabled}>
      <legend>{props.legend}</legend>
      {props.options.map((o) => (
        <label className="radio" key={o.value}>
          <input
            type="radio"
            name={props.name}
            value={o.value}
            checked={props.value === o.value}
            onChange={() => props.onChange(o.value)}
          />
          {o.label}
        </label>
      ))}
    </fieldset>
  );
}

/** A form's submit button; while its action runs it is disabled and says so. */
export function SubmitButton(props: { busy: boolean; label: string; busyLabel?: string }) {
  return (
    <button className="button" type="submit" disabled={props.busy}>
      {props.busy && props.busyLabel !== undefined ? props.busyLabel : props.label}
    </button>
  );
}

/** An error the user must see (announced to screen readers). */
export function ErrorAlert(props: { error: string | undefined; title?: string }) {
  if (props.error === undefined) return null;
  return (
    <div className="alert alert-error" role="alert">
      {props.title !== undefined && <strong>{props.title}: </strong>}
      {props.error}
    </div>
  );
}

/** A notice (info, success or warning). */
export function Notice(props: { kind?: 'info' | 'success' | 'warning'; children: ReactNode }) {
  return (
    <div className={`alert alert-${props.kind ?? 'info'}`} role="status">
      {props.children}
    </div>
  );
}

/** Shown while something loads. */
export function Loading(props: { what?: string }) {
  return (
    <p className="loading" role="status">
      Loading{props.what !== undefined ? ` ${props.what}` : ''}…
    </p>
  );
}

/** Copies a value to the clipboard and says so. */
export function CopyButton(props: { value: string; label: string; className?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
    } catch {
      // Without clipboard access (plain http elsewhere than localhost) select a hidden copy.
      const area = document.createElement('textarea');
      area.value = props.value;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2500);
  };
  return (
    <button
      type="button"
      className={props.className ?? 'button secondary'}
      onClick={() => void copy()}
    >
      {copied ? 'Copied' : props.label}
      <span className="visually-hidden" aria-live="polite">
        {copied ? ' — copied to the clipboard' : ''}
      </span>
    </button>
  );
}

/** A block of text to read or copy (commands, secrets). */
export function CodeBlock(props: { label: string; value: string; tall?: boolean }) {
  return (
    <div className={props.tall === true ? 'code-block tall' : 'code-block'}>
      <div className="code-block-header">
        <span>{props.label}</span>
        <CopyButton value={props.value} label={`Copy`} className="button small secondary" />
      </div>
      <pre tabIndex={0} aria-label={props.label}>
        <code>{props.value}</code>
      </pre>
    </div>
  );
}

const TONES: Record<string, string> = {
  Active: 'good',
  Verified: 'good',
  Unverified: 'warn',
  Failing: 'bad',
  Idle: 'good',
  Busy: 'info',
  pass: 'good',
  success: 'good',
  Starting: 'info',
  Queued: 'info',
  Running: 'info',
  Succeeded: 'good',
  Canceled: 'muted',
  Pending: 'info',
  Stopping: 'warn',
  Degraded: 'warn',
  skipped: 'muted',
  Stopped: 'muted',
  Uninitialized: 'muted',
  Failed: 'bad',
  fail: 'bad',
  failed: 'bad',
  denied: 'bad',
};

/** A state as a coloured badge with its name as text (colour is never the only cue). */
export function Badge(props: { value: string }) {
  return <span className={`badge badge-${TONES[props.value] ?? 'muted'}`}>{props.value}</span>;
}

/** A date and time in the reader's locale, with the exact instant on hover. */
export function Time(props: { at: string | null | undefined }) {
  if (props.at === null || props.at === undefined) return <span>—</span>;
  const d = new Date(props.at);
  return (
    <time dateTime={props.at} title={props.at}>
      {d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })}
    </time>
  );
}

/** A byte count in the largest unit that keeps it above 1. */
export function bytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = value;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** A duration in milliseconds as ms, s or min. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** US dollars with cents (or finer for prices per hour). */
export function usd(value: number, digits = 2): string {
  return `$${value.toFixed(digits)}`;
}
