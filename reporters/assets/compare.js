// Page script of compare.html (inlined after page-kit.js): runs and baselines side by side. Sections: who is who,
// tok/s per case per input, overlaid distributions of the selected case, one table per case with change and verdict.
;(() => {
  var K = window.FuzeKit
  var el = K.el,
    fmt = K.fmt,
    PALETTE = K.PALETTE
  var data = JSON.parse(document.getElementById('fuze-data').textContent)
  var app = document.getElementById('app')
  var tagOf = (i) => `${data.inputs[i].tag} ${data.inputs[i].id}`

  function header(root) {
    root.appendChild(
      el('header', { class: 'top' }, [
        el('h1', {
          text: `fuze-bench compare · ${data.inputs.map((x) => x.id).join(' vs ')}`,
        }),
      ]),
    )
    var who = el('section', { class: 'verdict none', id: 'inputs' }, [el('h2', { text: `${data.inputs.length} inputs, ${data.cases.length} case(s)` })])
    who.appendChild(
      el(
        'ul',
        {},
        data.inputs.map((x) => el('li', { text: `${x.tag} = ${x.id} (${x.kind}: ${x.path})` })),
      ),
    )
    who.appendChild(
      el('div', {
        class: 'sub',
        text: `changes are against ${data.inputs[0].tag}; "gate" is fuze-bench's regression gate with ${data.inputs[0].tag} as the baseline`,
      }),
    )
    root.appendChild(who)
  }

  function tokpsChart(grid) {
    var c = K.card(grid, 'Decode tok/s per case and input', 'median over measured requests; one bar per input', true)
    if (!data.cases.length) return K.empty(c, 'no cases in these inputs')
    K.make('tokps', K.chartBox(c, 'tokps'), {
      type: 'bar',
      data: {
        labels: data.cases.map((k) => `${k.model} · ${k.name}`),
        datasets: data.inputs.map((_x, i) => ({
          label: tagOf(i),
          backgroundColor: PALETTE[i % PALETTE.length],
          borderRadius: 3,
          data: data.cases.map((k) => (k.rows[i] ? k.rows[i].cells[0].value : null)),
        })),
      },
      options: {
        plugins: { legend: { position: 'top', align: 'end' } },
        scales: { x: { ticks: { autoSkip: false, maxRotation: 50 } }, y: { beginAtZero: true, title: { display: true, text: 'tok/s' } } },
      },
    })
  }

  // overlaid ECDFs of one case at a time, one line per input that has per-request records
  function distributions(grid) {
    var c = K.card(grid, 'Distributions of one case, overlaid', 'empirical CDF per input; baselines keep no per-request samples, so only runs are drawn', true)
    var withDist = data.cases.map((_, ci) => ci).filter((ci) => data.dists[ci].some((d) => d !== null))
    if (!withDist.length) return K.empty(c, 'no per-request records in these inputs (requests.jsonl)')
    var select = el(
      'select',
      { id: 'compare-case' },
      withDist.map((ci) => el('option', { value: String(ci), text: `${data.cases[ci].model} · ${data.cases[ci].name}` })),
    )
    c.appendChild(select)
    var grid2 = el('div', { class: 'grid' })
    c.appendChild(grid2)
    var metrics = [
      ['ttft', 'TTFT (ms)'],
      ['itl', 'ITL per token (ms)'],
      ['e2e', 'E2E (ms)'],
    ]
    var charts = metrics.map((m) => {
      var box = el('div', {})
      grid2.appendChild(box)
      box.appendChild(el('h3', { text: m[1] }))
      return K.cdfChart(box, `dist-${m[0]}`, seriesOf(withDist[0], m[0]), m[1])
    })
    function seriesOf(ci, field) {
      return data.dists[ci].map((d, i) => (d ? { label: tagOf(i), values: d[field], color: PALETTE[i % PALETTE.length] } : null)).filter(Boolean)
    }
    select.addEventListener('change', () => {
      metrics.forEach((m, j) => {
        charts[j].data.datasets = K.cdfDatasets(seriesOf(Number(select.value), m[0]))
        charts[j].update()
      })
    })
  }

  function caseTables(grid) {
    data.cases.forEach((k) => {
      var c = K.card(grid, `${k.stack} ${k.model} › ${k.name}`, '', true)
      var head = [''].concat(
        data.columns.map((col) => col.header),
        ['ok/n', 'gate'],
      )
      var rows = k.rows.map((r, i) => {
        if (!r)
          return [tagOf(i)].concat(
            data.columns.map(() => '—'),
            ['—', 'not in this input'],
          )
        var cells = r.cells.map((cell, j) => {
          var col = data.columns[j]
          var text = fmt(cell.value, col.unit === 'ms' ? undefined : Math.min(col.digits, 1))
          if (cell.changePct === null) return text
          var better = col.higherBetter ? cell.changePct > 0 : cell.changePct < 0
          return el('span', {}, [
            document.createTextNode(`${text} `),
            el('span', {
              class: `pill ${Math.abs(cell.changePct) < 1 ? '' : better ? 'improved' : 'regressed'}`,
              text: `${(cell.changePct >= 0 ? '+' : '') + cell.changePct.toFixed(1)}%`,
            }),
          ])
        })
        return [tagOf(i)].concat(cells, [`${r.ok}/${r.requests}`, r.verdict])
      })
      c.appendChild(K.table(head, rows, data.columns.map((_, j) => j + 1).concat([data.columns.length + 1])))
    })
  }

  var SECTIONS = [tokpsChart, distributions, caseTables]
  header(app)
  var grid = el('div', { class: 'grid' })
  app.appendChild(grid)
  SECTIONS.forEach((s) => {
    s(grid)
  })
  K.done()
})()
