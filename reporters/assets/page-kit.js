// Shared page helpers of report.html and compare.html (inlined before the page script; plain browser
// JavaScript, Chart.js is the global `Chart`). window.FuzeKit: DOM builders, number formats, chart
// registration, ECDF datasets with a log/linear axis switch, and the test hook window.__fuzeReport
// ({ ready, charts: points per chart, labels: dataset labels per chart, scales: x-axis type per chart, titles: chart
// titles, '' for none }).
;(() => {
  var PALETTE = ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d', '#0d9488', '#7c3aed', '#b45309']
  var charts = {}
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily
  Chart.defaults.font.size = 12
  Chart.defaults.color = '#475569'
  Chart.defaults.animation = false
  Chart.defaults.maintainAspectRatio = false

  function el(tag, attrs, children) {
    var e = document.createElement(tag)
    Object.keys(attrs || {}).forEach((k) => {
      if (k === 'text') e.textContent = attrs[k]
      else e.setAttribute(k, attrs[k])
    })
    ;(children || []).forEach((c) => {
      if (c) e.appendChild(c)
    })
    return e
  }
  function fmt(v, d) {
    if (v === null || v === undefined || !isFinite(v)) return '—'
    return Number(v).toFixed(d === undefined ? (Math.abs(v) >= 100 ? 0 : 1) : d)
  }
  function table(head, rows, numCols, rowClass) {
    var t = el('table')
    t.appendChild(
      el(
        'tr',
        {},
        head.map((h, i) => el('th', { text: h, class: numCols.indexOf(i) >= 0 ? 'num' : '' })),
      ),
    )
    rows.forEach((r, ri) => {
      var tr = el('tr', { class: rowClass ? rowClass(ri) : '' })
      r.forEach((c, i) => {
        var td = el('td', { class: numCols.indexOf(i) >= 0 ? 'num' : '' })
        if (c instanceof Node) td.appendChild(c)
        else td.textContent = c
        tr.appendChild(td)
      })
      t.appendChild(tr)
    })
    return el('div', { class: 'scroll' }, [t])
  }
  function card(parent, title, sub, wide) {
    var c = el('section', { class: `card${wide ? ' wide' : ''}` }, [el('h3', { text: title }), sub ? el('div', { class: 'sub', text: sub }) : null])
    parent.appendChild(c)
    return c
  }
  function chartBox(parent, id, tall) {
    var box = el('div', { class: `chart${tall ? ' tall' : ''}` })
    var canvas = el('canvas', { id: id, role: 'img', 'aria-label': id })
    box.appendChild(canvas)
    parent.appendChild(box)
    return canvas
  }
  function empty(parent, text) {
    parent.appendChild(el('div', { class: 'empty', text: text }))
  }
  function make(id, canvas, config) {
    charts[id] = new Chart(canvas, config)
    return charts[id]
  }

  /** Step-ECDF datasets: one per series { label, values (sorted) }. */
  function cdfDatasets(series) {
    return series.map((s, i) => {
      var color = s.color || PALETTE[i % PALETTE.length]
      var xs = s.values
      return {
        label: s.label,
        borderColor: color,
        backgroundColor: color,
        borderWidth: 2,
        pointRadius: xs.length < 30 ? 2 : 0,
        stepped: true,
        data: xs.map((x, j) => ({ x: x, y: (j + 1) / xs.length })),
      }
    })
  }
  /** Log by default when the values span more than 20× (one slow prefill would squeeze every other case on a linear axis). */
  function wantsLog(series) {
    var lo = Infinity,
      hi = 0
    series.forEach((s) => {
      s.values.forEach((v) => {
        if (v > 0) {
          lo = Math.min(lo, v)
          hi = Math.max(hi, v)
        }
      })
    })
    return hi > 0 && hi / lo > 20
  }
  /** An ECDF chart of `series` with a "log scale" checkbox (#<id>-log) that switches the x axis. */
  function cdfChart(parent, id, series, unit) {
    var log = wantsLog(series)
    var box = el('label', { class: 'toggle' })
    var input = el('input', { type: 'checkbox', id: `${id}-log` })
    input.checked = log
    box.appendChild(input)
    box.appendChild(document.createTextNode(' log scale'))
    parent.appendChild(box)
    var chart = make(id, chartBox(parent, id), {
      type: 'line',
      data: { datasets: cdfDatasets(series) },
      options: {
        parsing: false,
        plugins: { legend: { position: 'right', labels: { boxWidth: 10, font: { size: 11 } } } },
        scales: {
          x: { type: log ? 'logarithmic' : 'linear', title: { display: true, text: unit } },
          y: { min: 0, max: 1, title: { display: true, text: 'fraction' } },
        },
      },
    })
    input.addEventListener('change', () => {
      chart.options.scales.x.type = input.checked ? 'logarithmic' : 'linear'
      chart.update()
    })
    return chart
  }

  /**
   * A bar chart with one bar per label per dataset (tok/s per case, per case and input): legend top right, every
   * label shown (tilted), a y axis from 0 titled `yTitle`. `tooltip`: extra Chart.js tooltip callbacks.
   */
  function barChart(parent, id, labels, datasets, yTitle, tooltip) {
    return make(id, chartBox(parent, id), {
      type: 'bar',
      data: { labels: labels, datasets: datasets.map((d) => Object.assign({ borderRadius: 3, skipNull: true }, d)) },
      options: {
        plugins: { legend: { position: 'top', align: 'end' }, tooltip: tooltip ? { callbacks: tooltip } : {} },
        scales: {
          x: { grid: { display: false }, ticks: { autoSkip: false, maxRotation: 50 } },
          y: { beginAtZero: true, title: { display: true, text: yTitle } },
        },
      },
    })
  }
  /**
   * An x–y line chart on two linear axes from 0 (throughput–latency curves, capacity probes): datasets of
   * { x, y, … } points, legend below, `label(ctx)` the tooltip line of a point.
   */
  function xyChart(parent, id, datasets, xTitle, yTitle, label) {
    return make(id, chartBox(parent, id), {
      type: 'line',
      data: { datasets: datasets },
      options: {
        parsing: false,
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 10, font: { size: 11 } } },
          tooltip: { callbacks: { label: label } },
        },
        scales: {
          x: { type: 'linear', beginAtZero: true, title: { display: true, text: xTitle } },
          y: { beginAtZero: true, title: { display: true, text: yTitle } },
        },
      },
    })
  }
  /** A <select> of `names` (values 0…n−1) appended to `parent`; `onPick(i)` on every change. */
  function picker(parent, id, names, onPick) {
    var select = el(
      'select',
      { id: id },
      names.map((n, i) => el('option', { value: String(i), text: n })),
    )
    parent.appendChild(select)
    select.addEventListener('change', () => {
      onPick(Number(select.value))
    })
    return select
  }
  /**
   * One footnote for notes of several cases ({ label, text }): a text every case shares is said once ("all cases"),
   * one that some share once with their labels, so a reason that holds for the whole run is not repeated per case.
   */
  function caseNotes(parent, notes, caseCount) {
    var order = []
    var who = {}
    notes.forEach((n) => {
      if (!who[n.text]) {
        who[n.text] = []
        order.push(n.text)
      }
      if (who[n.text].indexOf(n.label) < 0) who[n.text].push(n.label)
    })
    if (!order.length) return
    var text = order.map((t) => (caseCount > 1 && who[t].length === caseCount ? `all cases: ${t}` : `${who[t].join(', ')}: ${t}`)).join(' · ')
    parent.appendChild(el('div', { class: 'notes', text: text }))
  }
  /** Names what a chart shows (the case of a chart that shows one case at a time) in its title, and redraws it. */
  function titled(chart, text) {
    chart.options.plugins.title = { display: true, text: text, font: { size: 12, weight: 'bold' } }
    chart.update()
  }
  /** Builds a page: `header(app)`, then every section into one grid, then the test hook. */
  function page(header, sections) {
    var app = document.getElementById('app')
    header(app)
    var grid = el('div', { class: 'grid' })
    app.appendChild(grid)
    sections.forEach((section) => {
      section(grid)
    })
    done()
  }

  /** Sets window.__fuzeReport for tests and screenshots: points, dataset labels and x-axis type per chart. */
  function done() {
    var counts = {},
      labels = {},
      scales = {},
      titles = {}
    Object.keys(charts).forEach((id) => {
      var ch = charts[id]
      counts[id] = ch.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0)
      labels[id] = ch.data.datasets.map((d) => d.label)
      scales[id] = ch.options.scales?.x ? ch.options.scales.x.type || 'category' : ''
      titles[id] = ch.options.plugins?.title?.display ? ch.options.plugins.title.text : ''
    })
    window.__fuzeReport = { ready: true, charts: counts, labels: labels, scales: scales, titles: titles }
  }

  window.FuzeKit = {
    PALETTE: PALETTE,
    charts: charts,
    el: el,
    fmt: fmt,
    table: table,
    card: card,
    chartBox: chartBox,
    empty: empty,
    make: make,
    cdfDatasets: cdfDatasets,
    cdfChart: cdfChart,
    barChart: barChart,
    xyChart: xyChart,
    picker: picker,
    titled: titled,
    caseNotes: caseNotes,
    page: page,
    done: done,
  }
})()
