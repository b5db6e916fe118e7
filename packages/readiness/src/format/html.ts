import type { Report, RuleResult } from '../types.js';
import { age, holding, pathFrom, percent, STATUS_LABEL, verdict, warnings, type FormatOptions } from './common.js';

const esc = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');

const STYLE = `
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff}
header{padding:20px 28px;border-bottom:1px solid var(--line);display:flex;gap:24px;align-items:center;flex-wrap:wrap}
h1{font-size:22px;margin:0}h2{font-size:17px;margin:24px 0 10px}
.verdict{font-weight:700;padding:6px 12px;border-radius:6px;color:#fff}.verdict.ready{background:var(--ok)}.verdict.held{background:var(--bad)}
.meta{color:var(--muted);font-size:13px}main{padding:0 28px 28px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:14px;margin-top:18px}
.card{border:1px solid var(--line);border-radius:8px;padding:14px;background:#fff}.card.held{border-color:var(--bad);box-shadow:inset 4px 0 0 var(--bad)}
.card.ready{box-shadow:inset 4px 0 0 var(--ok)}.card h3{margin:0 0 6px;font-size:15px;display:flex;justify-content:space-between}
.ring{--p:0;width:64px;height:64px;border-radius:50%;background:conic-gradient(var(--ok) calc(var(--p)*1%),var(--line) 0);display:grid;place-items:center;float:right}
.ring span{width:48px;height:48px;border-radius:50%;background:#fff;display:grid;place-items:center;font-weight:700;font-size:13px}
.rules{list-style:none;padding:0;margin:8px 0 0;font-size:12.5px}.rules li{padding:2px 0}
.s-pass{color:var(--ok)}.s-fail,.s-missing-evidence{color:var(--bad)}.s-waived,.s-warning{color:var(--warn)}
.blocker{border:1px solid var(--line);border-left:4px solid var(--bad);border-radius:6px;padding:10px 12px;margin:8px 0;background:#fff}
.warning{border-left-color:var(--warn)}.where{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px;color:var(--muted)}
.fix{margin-top:4px}.fix::before{content:"→ ";color:var(--muted)}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--bg)}.state-fresh{color:var(--ok)}.state-stale,.state-invalid,.w-expired{color:var(--bad);font-weight:600}.state-missing{color:var(--warn)}
.none{color:var(--muted)}
`;

/**
 * A single-file HTML scorecard (inline CSS, no script, no external asset): the verdict, one card per
 * dimension with its score and rules, the blockers with where and what to do, the waivers and the age
 * of each piece of evidence. Ids for tools and tests: `#blockers`, `#waivers`, `#evidence`,
 * `[data-dimension]`, `[data-rule]`.
 */
export function renderHtml(report: Report, options: FormatOptions = {}): string {
  const where = (result: RuleResult) =>
    result.location ? `${pathFrom(report, result.location, options.cwd)}:${result.location.line}:${result.location.column}` : '';
  const item = (r: RuleResult, kind: 'blocker' | 'warning') =>
    `<li class="${kind === 'blocker' ? 'blocker' : 'blocker warning'}" data-rule="${esc(r.ruleId)}"><strong>${esc(r.ruleId)}</strong> ${esc(r.title)} <span class="s-${r.status}">[${esc(STATUS_LABEL[r.status])}]</span>` +
    `<div class="where">${esc(where(r))}</div><div>${esc(r.message)}</div><div class="fix">${esc(r.remediation)}</div></li>`;
  const cards = report.dimensions
    .map((d) => {
      const rules = report.results
        .filter((r) => r.dimension === d.id)
        .map((r) => {
          const warning = r.severity === 'warning' && r.status !== 'pass' && r.status !== 'waived';
          const mark = r.status === 'pass' ? '✔' : r.status === 'waived' ? '~' : warning ? '!' : '✖';
          return `<li class="s-${warning ? 'warning' : r.status}" data-rule="${esc(r.ruleId)}" title="${esc(r.message)}">${mark} ${esc(r.ruleId)} ${esc(r.title)}</li>`;
        })
        .join('');
      return `<section class="card ${d.ready ? 'ready' : 'held'}" data-dimension="${esc(d.id)}"><div class="ring" style="--p:${Math.round(d.score * 100)}"><span>${percent(d.score)}</span></div><h3>${esc(d.title)}</h3><div class="meta">${d.passed}/${d.total} pass${d.failed ? ` · ${d.failed} fail` : ''}${d.missing ? ` · ${d.missing} missing evidence` : ''}${d.waived ? ` · ${d.waived} waived` : ''}</div><ul class="rules">${rules}</ul></section>`;
    })
    .join('\n');
  const blockers = holding(report);
  const warns = warnings(report);
  const errors = report.issues.filter((issue) => issue.severity === 'error');
  const waivers = report.waivers
    .map(
      (w) =>
        `<tr data-rule="${esc(w.rule)}"><td>${esc(w.rule)}</td><td class="w-${w.state}">${esc(w.state)}</td><td>${esc(w.expires)}</td><td>${esc(w.approver)}</td><td>${esc(w.reason)}</td></tr>`,
    )
    .join('');
  const evidence = report.evidence
    .map(
      (e) =>
        `<tr data-evidence="${esc(e.kind)}"><td>${esc(e.kind)}</td><td class="state-${e.state}">${esc(e.state)}</td><td>${e.state === 'missing' ? '-' : esc(age(e.ageMs))}</td><td>${esc(e.producedAt ?? '')}</td><td>${esc(e.state === 'fresh' ? '' : (e.reason ?? ''))}</td></tr>`,
    )
    .join('');
  const title = `${report.agent.name}: ${verdict(report)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body>
<header><div><h1>${esc(report.agent.title ?? report.agent.name)}</h1><div class="meta">${esc(report.agent.name)} · owner ${esc(report.agent.owner)} · commit ${esc(report.commit.slice(0, 12))} · evaluated ${esc(report.evaluatedAt)}</div></div>
<div class="verdict ${report.ready ? 'ready' : 'held'}" id="verdict">${esc(verdict(report))}</div>
<div class="meta" id="score">score ${report.score.passed}/${report.score.total} (${percent(report.score.score)})</div></header>
<main>
<div class="cards" id="dimensions">
${cards}
</div>
${errors.length > 0 ? `<h2>The manifest does not validate</h2><ul>${errors.map((i) => `<li class="where">${esc(`${i.file}:${i.line}:${i.column}`)} ${esc(i.message)} (${esc(i.code)})</li>`).join('')}</ul>` : ''}
<section id="blockers"><h2>Blockers (${blockers.length})</h2>${blockers.length === 0 ? '<p class="none">No blocker: every blocking rule passes or is waived.</p>' : `<ul style="list-style:none;padding:0">${blockers.map((r) => item(r, 'blocker')).join('')}</ul>`}</section>
${warns.length > 0 ? `<section id="warnings"><h2>Warnings (${warns.length})</h2><ul style="list-style:none;padding:0">${warns.map((r) => item(r, 'warning')).join('')}</ul></section>` : ''}
<section id="waivers"><h2>Waivers (${report.waivers.length})</h2>${report.waivers.length === 0 ? '<p class="none">No waiver.</p>' : `<table><thead><tr><th>Rule</th><th>State</th><th>Expires</th><th>Approver</th><th>Reason</th></tr></thead><tbody>${waivers}</tbody></table>`}</section>
<section id="evidence"><h2>Evidence</h2><table><thead><tr><th>Report</th><th>State</th><th>Age</th><th>Produced</th><th>Note</th></tr></thead><tbody>${evidence}</tbody></table>
<p class="meta">Lint: ${report.lint.ran ? `${report.lint.files} files, ${report.lint.problems} problem(s)${report.lint.cached ? ' (cached)' : ''}` : esc(`not run (${report.lint.reason ?? ''})`)}</p></section>
</main>
</body></html>
`;
}
