// Page script of report.html (inlined after page-kit.js; plain browser JavaScript, Chart.js is the global `Chart`).
// It renders from the JSON in #fuze-data. One function per section; SECTIONS lists them in page order, so a
// new chart (server metrics, energy…) is one more function and one more entry.
;(() => {
  var K = window.FuzeKit
  var el = K.el,
    fmt = K.fmt,
    table = K.table,
    card = K.card,
    chartBox = K.chartBox,
    empty = K.empty,
    make = K.make,
    PALETTE = K.PALETTE
  var data = JSON.parse(document.getElementById('fuze-data').textContent)
  var COLORS = { 'base-as-is': '#94a3b8', optimized: '#2563eb', published: '#16a34a', error: '#dc2626' }
  // cases grouped by model, base-as-is first, then candidates by offload
  var byModel = data.cases
    .slice()
    .sort(
      (a, b) =>
        a.alias.localeCompare(b.alias) ||
        a.stack.localeCompare(b.stack) ||
        (a.variant === 'base-as-is' ? -1 : b.variant === 'base-as-is' ? 1 : Number(b.numGpu) - Number(a.numGpu)),
    )

  function header(root) {
    root.appendChild(
      el('header', { class: 'top' }, [
        el('h1', { text: `fuze-bench · ${data.runId}` }),
        el('span', {
          class: 'meta',
          text:
            data.host +
            ' · ' +
            (data.startedAt || '') +
            (data.finishedAt ? ` → ${data.finishedAt}` : '') +
            (data.incomplete ? ' · INCOMPLETE (interrupted)' : '') +
            ' · ' +
            data.cases.length +
            ' case(s)',
        }),
      ]),
    )
  }

  function verdictSection(root) {
    var g = data.gate
    // PASS green, FAIL red, INCONCLUSIVE amber (red when BENCH_GATE_INCONCLUSIVE=fail made it fail the run)
    var tone = g ? (g.verdict === 'PASS' ? 'pass' : g.verdict === 'FAIL' || !g.passed ? 'fail' : 'inconclusive') : 'none'
    var verdict = el('section', { class: `verdict ${tone}`, id: 'verdict' })
    root.appendChild(verdict)
    if (!g) return verdict.appendChild(el('h2', { text: 'Gate: not run' }))
    verdict.appendChild(el('h2', { text: `Gate: ${g.verdictText}` }))
    verdict.appendChild(
      el('div', { class: 'sub', text: g.baseline ? `against baseline ${g.baseline}` : 'no baseline: health checks only (set BENCH_BASELINE to compare)' }),
    )
    if (g.failures.length)
      verdict.appendChild(
        el(
          'ul',
          {},
          g.failures.map((f) => el('li', { text: `${f.caseKey}: ${f.reason}` })),
        ),
      )
    if (g.rows.length) {
      // a long table would push every chart below the fold: first rows visible, the rest one click away
      var gateTable = (rows) =>
        table(
          ['case', 'metric', 'baseline', 'now', 'change', 'threshold', 'evidence', ''],
          rows.map((r) => [
            r.caseKey,
            r.metric,
            r.baseline,
            r.now,
            r.change,
            r.threshold,
            r.evidence,
            el('span', { class: `pill ${r.verdict}`, text: r.verdict }),
          ]),
          [2, 3, 4, 5],
        )
      verdict.appendChild(gateTable(g.rows.slice(0, 8)))
      if (g.rows.length > 8) {
        var more = el('details', {}, [el('summary', { text: `show ${g.rows.length - 8} more row(s) (all in gate.json)` })])
        more.appendChild(gateTable(g.rows.slice(8)))
        verdict.appendChild(more)
      }
    }
    if (g.warnings.length) verdict.appendChild(el('div', { class: 'notes', text: g.warnings.join(' · ') }))
  }

  // decode tok/s per case: one bar each, labelled model · case (the case name carries variant and level)
  function tokpsChart(grid) {
    var c1 = card(
      grid,
      'Decode tok/s per case',
      'median over measured requests; grey = stack defaults (base-as-is), blue = sweep candidates and plain cases, green = published',
      true,
    )
    if (!byModel.length) return empty(c1, 'no measured cases in this run')
    var kinds = ['base-as-is', 'optimized', 'published'].filter((k) => byModel.some((c) => c.variant === k))
    K.barChart(
      c1,
      'tokps',
      byModel.map((c) => c.label),
      kinds.map((k) => ({ label: k, backgroundColor: COLORS[k], data: byModel.map((c) => (c.variant === k ? c.tokps : null)) })),
      'tok/s',
      {
        afterLabel: (ctx) => {
          var c = byModel[ctx.dataIndex]
          return `${c.stack} · ${c.modelTag} · ok ${c.counts.ok}/${c.counts.requests}`
        },
      },
    )
  }

  // distributions: empirical CDF per case, log/linear x axis
  function cdfChart(grid, id, title, field, unit) {
    var c = card(
      grid,
      title,
      `empirical CDF per case: fraction of ${field === 'itlCdf' ? 'tokens' : 'requests'} at or below x; steeper = steadier, further left = faster`,
      true,
    )
    var all = data.cases.filter((k) => k[field].length > 0)
    var withData = all.slice(0, 16)
    if (!withData.length) return empty(c, 'no successful requests')
    if (all.length > withData.length)
      c.appendChild(
        el('div', {
          class: 'notes',
          text: `first ${withData.length} of ${all.length} cases shown; every case is in the table below and in summary.csv`,
        }),
      )
    K.cdfChart(
      c,
      id,
      withData.map((k) => ({ label: k.label, values: k[field] })),
      unit,
    )
  }
  function ttftChart(grid) {
    cdfChart(grid, 'ttft', 'Time to first token', 'ttftCdf', 'TTFT (ms)')
  }
  function itlChart(grid) {
    cdfChart(grid, 'itl', 'Inter-token latency', 'itlCdf', 'ITL per token (ms)')
  }
  function e2eChart(grid) {
    cdfChart(grid, 'e2e', 'End-to-end latency', 'e2eCdf', 'E2E (ms)')
  }

  // throughput–latency: one point per load level, so the knee shows (latency climbing while throughput flattens)
  function loadCurveChart(grid, id, title, p50, p99, unit) {
    var c = card(
      grid,
      title,
      'one point per load level (concurrency or request rate) of each load case; solid = p50, dashed = p99; x = output tok/s of all streams together',
      false,
    )
    if (!data.loadCurves.length) return empty(c, 'no load levels in this run (llmBench with concurrency: [...] or rate: [...])')
    var sets = []
    data.loadCurves.forEach((curve, i) => {
      var color = PALETTE[i % PALETTE.length]
      ;[
        [p50, 'p50', []],
        [p99, 'p99', [6, 4]],
      ].forEach((s) => {
        sets.push({
          label: `${curve.label} ${s[1]}`,
          borderColor: color,
          backgroundColor: color,
          borderDash: s[2],
          borderWidth: 2,
          pointRadius: 4,
          data: curve.points.filter((p) => p[s[0]] !== null).map((p) => ({ x: p.outputTokPerSec, y: p[s[0]], level: p.level })),
        })
      })
    })
    K.xyChart(
      c,
      id,
      sets,
      'output tok/s (all streams)',
      unit,
      (ctx) => `${ctx.dataset.label} [${ctx.raw.level}]: ${fmt(ctx.raw.x, 1)} tok/s → ${fmt(ctx.raw.y, 1)} ${unit}`,
    )
    // level names beside the points: what the curve is about
    c.appendChild(
      el('div', {
        class: 'notes',
        text: data.loadCurves.map((cv) => `${cv.label}: ${cv.points.map((p) => `${p.level} → ${fmt(p.outputTokPerSec, 1)} tok/s`).join(', ')}`).join(' · '),
      }),
    )
  }
  function ttftLoadChart(grid) {
    loadCurveChart(grid, 'loadTtft', 'Throughput vs TTFT across load levels', 'ttftP50', 'ttftP99', 'TTFT ms')
  }
  function tpotLoadChart(grid) {
    loadCurveChart(grid, 'loadTpot', 'Throughput vs TPOT across load levels', 'tpotP50', 'tpotP99', 'TPOT ms')
  }

  // capacity search: every probe as a throughput–latency point, passed ones green, failed ones red crosses, and the
  // rate the search found as a vertical line (one chart per capacity case, titled with the case)
  function capacityCharts(grid) {
    data.capacity.forEach((cv, ci) => {
      var c = card(
        grid,
        `Capacity search: ${cv.label}`,
        'one point per probe (open-loop Poisson load at one rate): x = the rate the server took, y = E2E latency; green = passed, red = failed (rate missed, SLO, or a queue still filling)',
        true,
      )
      var x = (p) => (p.achievedRate === null ? p.rate : p.achievedRate)
      var byX = cv.probes.slice().sort((a, b) => x(a) - x(b))
      var pt = (field) => (p) => ({ x: x(p), y: p[field], probe: p })
      var withP50 = byX.filter((p) => p.e2eP50 !== null)
      var top = Math.max.apply(null, [cv.sloE2eMs || 0].concat(byX.map((p) => p.e2eP95 || p.e2eP50 || 0)))
      var right = Math.max.apply(null, [cv.maxRequestRate || 0].concat(byX.map(x)))
      var sets = [
        { label: `${cv.label} · E2E p50`, borderColor: '#64748b', backgroundColor: '#64748b', borderWidth: 2, pointRadius: 0, data: withP50.map(pt('e2eP50')) },
        {
          label: `${cv.label} · E2E p95`,
          borderColor: '#94a3b8',
          backgroundColor: '#94a3b8',
          borderDash: [6, 4],
          borderWidth: 1.5,
          pointRadius: 2,
          data: byX.filter((p) => p.e2eP95 !== null).map(pt('e2eP95')),
        },
        {
          label: `${cv.label} · probes that passed`,
          showLine: false,
          pointStyle: 'circle',
          pointRadius: 6,
          borderColor: '#16a34a',
          backgroundColor: '#16a34a',
          data: withP50.filter((p) => p.pass).map(pt('e2eP50')),
        },
        {
          label: `${cv.label} · probes that failed`,
          showLine: false,
          pointStyle: 'crossRot',
          pointRadius: 8,
          borderWidth: 3,
          borderColor: COLORS.error,
          backgroundColor: COLORS.error,
          data: withP50.filter((p) => !p.pass).map(pt('e2eP50')),
        },
      ]
      if (cv.maxRequestRate !== null)
        sets.push({
          label: `${cv.label} · maxRequestRate ${fmt(cv.maxRequestRate, 2)}/s`,
          borderColor: '#15803d',
          backgroundColor: '#15803d',
          borderDash: [3, 3],
          borderWidth: 2,
          pointRadius: 0,
          data: [
            { x: cv.maxRequestRate, y: 0 },
            { x: cv.maxRequestRate, y: top * 1.05 },
          ],
        })
      if (cv.sloE2eMs !== null)
        sets.push({
          label: `SLO: E2E ≤ ${fmt(cv.sloE2eMs, 0)} ms`,
          borderColor: '#ca8a04',
          backgroundColor: '#ca8a04',
          borderDash: [8, 4],
          borderWidth: 1.5,
          pointRadius: 0,
          data: [
            { x: 0, y: cv.sloE2eMs },
            { x: right * 1.05, y: cv.sloE2eMs },
          ],
        })
      K.xyChart(c, `capacity-${ci}`, sets, 'achieved request rate (req/s)', 'E2E ms', (ctx) => {
        var p = ctx.raw.probe
        if (!p) return ctx.dataset.label
        return `probe ${p.index + 1}: target ${fmt(p.rate, 2)}/s, achieved ${fmt(p.achievedRate, 2)}/s, ${fmt(p.outputTokPerSec, 1)} output tok/s, E2E p50 ${fmt(p.e2eP50, 0)} ms: ${p.pass ? 'pass' : `fail (${p.reasons.join('; ')})`}`
      })
      var found =
        cv.maxRequestRate === null
          ? 'no probe passed'
          : `maxRequestRate ${fmt(cv.maxRequestRate, 2)} req/s (${fmt(cv.outputTokPerSec, 1)} output tok/s)` +
            (cv.failedAt !== null ? `; lowest failing rate ${fmt(cv.failedAt, 2)}/s` : '')
      c.appendChild(
        el('div', {
          class: 'notes capacity-found',
          text: `${found}; stopped by ${cv.stoppedBy} after ${fmt(cv.durationS, 0)} s. Probes in search order: ${cv.probes
            .map((p) => `${fmt(p.rate, 2)}/s ${p.pass ? 'pass' : `fail (${p.reasons.join('; ')})`}`)
            .join(' · ')}`,
        }),
      )
    })
  }

  // sweep: a categorical axis — 'default' (base-as-is), '-1 (auto)', then layer counts in order
  function sweepChart(grid) {
    var c4 = card(grid, 'Sweep: offload → tok/s', 'each candidate of the num_gpu / ngl sweep; the square at "default" is the stack default (base-as-is)', true)
    if (!data.sweeps.length) return empty(c4, 'no sweep in this run')
    var ticks = []
    var order = {}
    data.sweeps.forEach((s) => {
      if (s.base !== null && ticks.indexOf('default') < 0) {
        ticks.push('default')
        order.default = -3
      }
      s.points.forEach((p) => {
        if (ticks.indexOf(p.x) < 0) {
          ticks.push(p.x)
          order[p.x] = p.order
        }
      })
    })
    ticks.sort((a, b) => order[a] - order[b])
    var sets = []
    data.sweeps.forEach((s, i) => {
      var color = PALETTE[i % PALETTE.length]
      sets.push({
        label: `${s.label} (${s.param} candidates)`,
        borderColor: color,
        backgroundColor: color,
        pointRadius: 4,
        borderWidth: 2,
        data: s.points.map((p) => ({ x: p.x, y: p.y })),
      })
      if (s.base !== null)
        sets.push({
          label: `${s.label} base-as-is (default)`,
          borderColor: color,
          backgroundColor: '#fff',
          pointStyle: 'rectRot',
          pointRadius: 7,
          borderWidth: 2,
          showLine: false,
          data: [{ x: 'default', y: s.base }],
        })
    })
    make('sweep', chartBox(c4, 'sweep'), {
      type: 'line',
      data: { labels: ticks, datasets: sets },
      options: {
        parsing: false,
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 10 } } },
        scales: {
          x: { type: 'category', title: { display: true, text: 'offloaded layers (num_gpu / ngl); -1 = the server decides' } },
          y: { beginAtZero: true, title: { display: true, text: 'tok/s' } },
        },
      },
    })
  }
  // server metrics + GPU power of the case shown in the timeline, on the timeline's own time axis
  var ROLE_LABEL = {
    running: 'running requests',
    waiting: 'waiting requests',
    kvCache: 'KV-cache use',
    generatedTokens: 'generated tok/s',
    promptTokens: 'prompt tok/s',
    gpuPower: 'GPU power W',
  }
  var ROLE_AXIS = { running: 'yReq', waiting: 'yReq', kvCache: 'yKv', generatedTokens: 'yRate', promptTokens: 'yRate', gpuPower: 'yW' }
  var ROLE_COLOR = { running: '#1d4ed8', waiting: '#ea580c', kvCache: '#9333ea', generatedTokens: '#16a34a', promptTokens: '#0891b2', gpuPower: '#dc2626' }
  function telemetryTimeline(parent, cases) {
    if (!cases.some((k) => k.telemetry && k.telemetry.series.length > 0)) return () => {}
    parent.appendChild(
      el('div', {
        class: 'sub',
        text: 'server metrics (names as the server exposes them; counters as per-second rates) and GPU power, sampled during the case',
      }),
    )
    var note = el('div', { class: 'notes', id: 'server-metrics-note' })
    var axes = {
      yReq: { position: 'left', beginAtZero: true, title: { display: true, text: 'requests' } },
      yRate: { position: 'right', beginAtZero: true, title: { display: true, text: 'tok/s' }, grid: { drawOnChartArea: false } },
      yKv: { position: 'right', beginAtZero: true, title: { display: true, text: 'KV cache' }, grid: { drawOnChartArea: false } },
      yW: { position: 'right', beginAtZero: true, title: { display: true, text: 'W' }, grid: { drawOnChartArea: false } },
    }
    var chart = make('server-metrics', chartBox(parent, 'server-metrics'), {
      type: 'line',
      data: { datasets: [] },
      options: {
        parsing: false,
        plugins: { legend: { position: 'top', align: 'end' } },
        scales: Object.assign({ x: { type: 'linear', title: { display: true, text: 'ms since the case started' } } }, axes),
      },
    })
    parent.appendChild(note)
    return (k, min, max) => {
      var t = k.telemetry
      var series = t ? t.series : []
      chart.data.datasets = series.map((s) => ({
        label: `${ROLE_LABEL[s.role] || s.role} — ${s.name}`,
        yAxisID: ROLE_AXIS[s.role],
        borderColor: ROLE_COLOR[s.role],
        backgroundColor: ROLE_COLOR[s.role],
        borderWidth: 2,
        pointRadius: s.points.length < 40 ? 2 : 0,
        stepped: s.kind === 'gauge',
        data: s.points,
      }))
      Object.keys(axes).forEach((a) => {
        chart.options.scales[a].display = series.some((s) => ROLE_AXIS[s.role] === a)
      })
      chart.options.scales.x.min = min
      chart.options.scales.x.max = max
      note.textContent = !t
        ? 'no telemetry for this case'
        : series.length
          ? `source: ${t.metricsSource}${t.samples !== null ? ` · ${t.samples} scrapes` : ''}`
          : `no server metrics: ${t.metricsSource}`
      K.titled(chart, `server metrics of ${k.label}`)
    }
  }

  // per-request timeline of one case at a time
  function timelineChart(grid) {
    var c5 = card(grid, 'Per-request timeline', 'bar = one measured request: light part waiting for the first token, dark part streaming; red = failed', true)
    var timed = data.cases.filter((k) => k.timeline.length > 0)
    if (timed.length) {
      K.picker(
        c5,
        'timeline-case',
        timed.map((k) => `${k.label} — ${k.counts.ok}/${k.counts.requests} ok`),
        (i) => show(i),
      )
      var showTelemetry = () => {}
      var tl = make('timeline', chartBox(c5, 'timeline', true), {
        type: 'bar',
        data: { labels: [], datasets: [] },
        options: {
          indexAxis: 'y',
          plugins: {
            legend: { position: 'top', align: 'end' },
            tooltip: {
              callbacks: {
                label: (ctx) => {
                  var e = ctx.raw.entry
                  return e.ok ? `start ${fmt(e.start)} ms · first token ${fmt(e.firstToken)} ms · end ${fmt(e.end)} ms` : `${e.outcome}: ${e.error || ''}`
                },
              },
            },
          },
          scales: { x: { title: { display: true, text: 'ms since the case started' } }, y: { ticks: { autoSkip: true } } },
        },
      })
      var show = (i) => {
        var k = timed[i]
        var labels = k.timeline.map((_, j) => `#${j + 1}`)
        var wait = [],
          stream = [],
          failed = []
        k.timeline.forEach((e, j) => {
          var y = labels[j]
          if (e.ok && e.firstToken !== null) {
            wait.push({ x: [e.start, e.firstToken], y: y, entry: e })
            stream.push({ x: [e.firstToken, e.end], y: y, entry: e })
          } else failed.push({ x: [e.start, Math.max(e.end, e.start + 1)], y: y, entry: e })
        })
        // start the axis at the first measured request (warmups ran before it)
        var first = Math.min.apply(
          null,
          k.timeline.map((e) => e.start),
        )
        var step = 10 ** Math.max(0, Math.floor(Math.log10(Math.max(1, first))) - 1)
        tl.options.scales.x.min = Math.floor(first / step) * step
        tl.data.labels = labels
        tl.data.datasets = [
          { label: 'waiting for first token', backgroundColor: '#93c5fd', grouped: false, data: wait },
          { label: 'streaming', backgroundColor: '#1d4ed8', grouped: false, data: stream },
          { label: 'failed', backgroundColor: COLORS.error, grouped: false, data: failed },
        ].filter((d) => d.data.length > 0)
        K.titled(tl, k.label)
        showTelemetry(k, tl.scales.x.min, tl.scales.x.max)
      }
      showTelemetry = telemetryTimeline(c5, timed)
      show(0)
      return
    }
    empty(c5, 'no request records (requests.jsonl missing or empty)')
  }

  // numbers table
  function casesTable(grid) {
    var c6 = card(grid, 'All cases', 'latencies in ms over successful measured requests; tok/s is the CSV value', true)
    // metric columns come from the metric registry (data.metricColumns, one value each in k.metrics)
    var mcols = data.metricColumns
    var lead = ['case', 'model', 'stack', 'variant', 'num_gpu', 'gpu']
    var numeric = mcols.map((_, i) => lead.length + i).concat([lead.length + mcols.length, lead.length + mcols.length + 1])
    c6.appendChild(
      table(
        lead.concat(
          mcols.map((c) => c.header),
          ['ok', 'failed'],
        ),
        byModel.map((k) =>
          [k.name, k.alias, k.stack, el('span', { class: `pill ${k.variant}`, text: k.variant }), k.numGpu, k.gpuLabel].concat(
            mcols.map((c, i) => fmt(k.metrics[i], c.digits)),
            [String(k.counts.ok), String(k.counts.failed)],
          ),
        ),
        numeric,
        (i) => (byModel[i].counts.ok === 0 ? 'failed' : ''),
      ),
    )
    K.caseNotes(
      c6,
      data.cases.flatMap((k) => k.failures.concat(k.warnings).map((w) => ({ label: k.label, text: w }))),
      data.cases.length,
    )
  }

  // energy and cost per case (telemetry): n/a where it could not be measured, never 0
  function energyTable(grid) {
    var withTelemetry = byModel.filter((k) => k.telemetry)
    if (!withTelemetry.length) return
    var c7 = card(
      grid,
      'Energy, power and cost',
      "over each case's measured phase: GPUs from nvidia-smi, else the CPU package (RAPL); $ from BENCH_COST_PER_HOUR; n/a = not measurable here",
      true,
    )
    c7.setAttribute('id', 'telemetry')
    var na = (v, d) => (v === null || v === undefined ? 'n/a' : fmt(v, d))
    c7.appendChild(
      table(
        [
          'case',
          'model',
          'stack',
          'variant',
          'source',
          'J/tok',
          'energy J',
          'mean W',
          'peak W',
          'GPU util %',
          'GPU mem MiB',
          'server CPU s',
          '$/1M tok',
          'server token counter',
        ],
        withTelemetry.map((k) => {
          var f = k.telemetry.figures,
            r = k.telemetry.reconciliation
          return [
            k.name,
            k.alias,
            k.stack,
            k.variant,
            f.powerSource || 'n/a',
            na(f.jPerOutputToken, 3),
            na(f.energyJ, 1),
            na(f.meanW, 1),
            na(f.peakW, 1),
            na(f.gpuUtilMeanPct, 0),
            na(f.gpuMemPeakMib, 0),
            na(f.cpuSeconds, 2),
            na(f.usdPer1MOutputTokens, 3),
            r ? `${(r.match ? 'matches (' : 'MISMATCH (') + r.counter} +${r.serverDelta}, responses ${r.clientSeen})` : 'n/a',
          ]
        }),
        [5, 6, 7, 8, 9, 10, 11, 12],
      ),
    )
    // a reason that holds for every case (no RAPL on this host, no BENCH_COST_PER_HOUR) is said once
    K.caseNotes(
      c7,
      withTelemetry.flatMap((k) => k.telemetry.notes.map((n) => ({ label: k.label, text: n }))),
      withTelemetry.length,
    )
  }

  var SECTIONS = [tokpsChart, ttftChart, e2eChart, itlChart, ttftLoadChart, tpotLoadChart, capacityCharts, sweepChart, timelineChart, casesTable, energyTable]
  K.page((root) => {
    header(root)
    verdictSection(root)
  }, SECTIONS)
})()
