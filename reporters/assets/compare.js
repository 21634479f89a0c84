// Page script of compare.html (inlined after page-kit.js): runs and baselines side by side. Sections: who is who,
// tok/s per case per input, overlaid distributions of the selected case, one table per case with change and verdict.
;(() => {
  var K = window.FuzeKit
  var el = K.el,
    fmt = K.fmt,
    PALETTE = K.PALETTE
  var data = JSON.parse(document.getElementById('fuze-data').textContent)
  var tagOf = (i) => `${data.inputs[i].tag} ${data.inputs[i].id}`
  var caseName = (ci) => `${data.cases[ci].model} · ${data.cases[ci].name}`

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
    K.barChart(
      c,
      'tokps',
      data.cases.map((_k, ci) => caseName(ci)),
      data.inputs.map((_x, i) => ({
        label: tagOf(i),
        backgroundColor: PALETTE[i % PALETTE.length],
        data: data.cases.map((k) => (k.rows[i] ? k.rows[i].cells[0].value : null)),
      })),
      'tok/s',
    )
  }

  // overlaid ECDFs of one case at a time, one line per input that has per-request records
  function distributions(grid) {
    var c = K.card(grid, 'Distributions of one case, overlaid', 'empirical CDF per input; baselines keep no per-request samples, so only runs are drawn', true)
    var withDist = data.cases.map((_, ci) => ci).filter((ci) => data.dists[ci].some((d) => d !== null))
    if (!withDist.length) return K.empty(c, 'no per-request records in these inputs (requests.jsonl)')
    K.picker(c, 'compare-case', withDist.map(caseName), (i) => {
      metrics.forEach((m, j) => {
        charts[j].data.datasets = K.cdfDatasets(seriesOf(withDist[i], m[0]))
        K.titled(charts[j], caseName(withDist[i]))
      })
    })
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
      var chart = K.cdfChart(box, `dist-${m[0]}`, seriesOf(withDist[0], m[0]), m[1])
      K.titled(chart, caseName(withDist[0]))
      return chart
    })
    function seriesOf(ci, field) {
      return data.dists[ci].map((d, i) => (d ? { label: tagOf(i), values: d[field], color: PALETTE[i % PALETTE.length] } : null)).filter(Boolean)
    }
  }

  function caseTables(grid) {
    data.cases.forEach((k) => {
      var c = K.card(grid, `${k.stack} ${k.model} › ${k.name}`, '', true)
      var head = [''].concat(
        data.columns.map((col) => col.header),
        ['ok/n', 'gate'],
      )
      var naReasons = {}
      var rows = k.rows.map((r, i) => {
        if (!r)
          return [tagOf(i)].concat(
            data.columns.map(() => '—'),
            ['—', 'not in this input'],
          )
        var cells = r.cells.map((cell, j) => {
          var col = data.columns[j]
          var text = fmt(cell.value, col.unit === 'ms' ? undefined : Math.min(col.digits, 1))
          if (cell.changeNa) {
            naReasons[cell.changeNa] = col.header
            return el('span', {}, [document.createTextNode(`${text} `), el('span', { class: 'pill', title: cell.changeNa, text: 'n/a' })])
          }
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
      var na = Object.keys(naReasons)
      if (na.length)
        c.appendChild(
          el('div', {
            class: 'notes',
            text: `change n/a: ${na.map((why) => `${naReasons[why]}: ${why}`).join(' · ')}; a percentage of a reference ≈ 0 says nothing`,
          }),
        )
    })
  }

  var SECTIONS = [tokpsChart, distributions, caseTables]
  K.page(header, SECTIONS)
})()
