/** A small line chart in SVG (no chart library): one line per node, 0–100 %. */
import { useId } from 'react';

export interface Series {
  readonly name: string;
  readonly points: readonly { t: number; v: number }[];
}

const COLORS = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c'];

export function PercentChart(props: { title: string; series: readonly Series[] }) {
  const id = useId();
  const W = 600;
  const H = 160;
  const all = props.series.flatMap((s) => s.points);
  if (all.length === 0) {
    return (
      <figure className="chart">
        <figcaption>{props.title}</figcaption>
        <p className="muted">No samples yet.</p>
      </figure>
    );
  }
  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(...all.map((p) => p.t), t0 + 1);
  const x = (t: number) => ((t - t0) / (t1 - t0)) * (W - 40) + 36;
  const y = (v: number) => H - 20 - (Math.max(0, Math.min(100, v)) / 100) * (H - 30);
  const latest = props.series
    .map((s) => `${s.name} ${s.points.at(-1)?.v.toFixed(1) ?? '—'} %`)
    .join(', ');
  return (
    <figure className="chart" aria-labelledby={`${id}-cap`}>
      <figcaption id={`${id}-cap`}>
        {props.title} <span className="muted">(latest: {latest})</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.title}, latest ${latest}`}>
        {[0, 50, 100].map((v) => (
          <g key={v}>
            <line x1={36} x2={W - 4} y1={y(v)} y2={y(v)} stroke="#d1d5db" strokeWidth={1} />
            <text x={30} y={y(v) + 4} textAnchor="end" fontSize={11} fill="#4b5563">
              {v}%
            </text>
          </g>
        ))}
        {props.series.map((s, i) => (
          <polyline
            key={s.name}
            fill="none"
            stroke={COLORS[i % COLORS.length]}
            strokeWidth={2}
            points={s.points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')}
          />
        ))}
      </svg>
    </figure>
  );
}
