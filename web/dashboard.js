// Draws a shoplake dashboard: the JSON document the C++ side wrote into #dashboard-data
// (report/report.h, DashboardData) becomes KPI tiles, tables, and Vega-Lite charts through
// vega-embed. Served live (a config "api" URL), it also shows the filters and asks the
// server for the filtered document: the filtering happens in SQL there, never here.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  const formats = {
    number: new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 }),
    integer: new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 }),
    currency: new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
  };
  function formatValue(value, format) {
    if (value === null || value === undefined) return "–";
    if (typeof value !== "number") return String(value);
    if (format === "percent") return formats.number.format(value) + " %";
    return (formats[format] || formats.number).format(value);
  }

  function renderMeta(doc) {
    const meta = document.getElementById("meta");
    meta.replaceChildren();
    const range = doc.date_range || {};
    const snapshots = (doc.snapshots || [])
      .map((s) => `${s.table} @ snapshot ${s.snapshot_id === null ? "none" : s.snapshot_id} (${s.rows} rows)`)
      .join(", ");
    for (const [term, value, id] of [
      ["Data from", range.from ? `${range.from} to ${range.to}` : "no data", "meta-range"],
      ["Built from", snapshots || "no tables", "meta-snapshots"],
      ["Rendered", doc.rendered_at, "meta-rendered"],
    ]) {
      meta.append(el("dt", {}, term), el("dd", { id }, value));
    }
  }

  function renderKpi(panel, body) {
    const tiles = el("div", { class: "tiles" });
    for (const tile of panel.tiles) {
      const box = el("div", { class: "tile", "data-field": tile.field });
      box.append(el("div", { class: "label" }, tile.label),
                 el("div", { class: "value" }, formatValue(tile.value, tile.format)));
      tiles.append(box);
    }
    body.append(tiles);
  }

  function renderTable(panel, body) {
    const table = el("table");
    const head = el("tr");
    for (const column of panel.columns) head.append(el("th", {}, column));
    const thead = el("thead");
    thead.append(head);
    table.append(thead);
    const rows = el("tbody");
    for (const row of panel.data) {
      const tr = el("tr");
      for (const column of panel.columns) {
        const value = row[column];
        // Whole numbers as they are: a table's integers are often ids.
        const text = Number.isInteger(value) ? String(value) : formatValue(value, "number");
        tr.append(el("td", typeof value === "number" ? { class: "number" } : {}, text));
      }
      rows.append(tr);
    }
    table.append(rows);
    if (panel.data.length === 0) body.append(el("p", { class: "empty" }, "No rows."));
    body.append(table);
    if (panel.truncated) body.append(el("p", { class: "note" }, `First ${panel.data.length} rows shown.`));
  }

  function renderChart(panel, body) {
    const chart = el("div", { class: "chart" });
    body.append(chart);
    // SVG, not canvas: every mark is an element, which the browser tests count.
    return vegaEmbed(chart, panel.spec, { actions: false, renderer: "svg" }).catch((error) => {
      chart.append(el("p", { class: "error" }, "chart failed: " + error.message));
      throw error;
    });
  }

  function renderPanels(doc) {
    const main = document.getElementById("panels");
    main.replaceChildren();
    const filtering = Object.values((doc.filters || {}).applied || {}).some((v) => v);
    const pending = [];
    for (const panel of doc.panels) {
      const section = el("section", { class: "panel", id: "panel-" + panel.id,
                                      "data-panel": panel.id, "data-type": panel.type,
                                      "data-rows": String(panel.rows) });
      section.append(el("h2", {}, panel.title));
      if (panel.description) section.append(el("p", { class: "description" }, panel.description));
      if (filtering && !panel.filtered) section.append(el("p", { class: "note" }, "Not affected by the filters."));
      main.append(section);
      if (panel.type === "kpi") renderKpi(panel, section);
      else if (panel.type === "table") renderTable(panel, section);
      else pending.push(renderChart(panel, section));
    }
    // What this shop's data cannot show (no cost: no margin; no stock: no out-of-stock
    // table), said on the page rather than shown empty or wrong.
    if ((doc.skipped || []).length) {
      const section = el("section", { class: "panel skipped", id: "skipped" });
      section.append(el("h2", {}, "Not shown for this data"));
      const list = el("ul", {});
      for (const part of doc.skipped) {
        const item = el("li", { "data-skipped": part.id });
        item.append(el("strong", {}, part.title), document.createTextNode(": " + part.note));
        list.append(item);
      }
      section.append(list);
      main.append(section);
    }
    // Tests wait for this attribute: every chart has been drawn (or has failed).
    Promise.allSettled(pending).then(() => document.body.setAttribute("data-rendered", String(Date.now())));
  }

  function renderFilters(doc) {
    const form = document.getElementById("filters");
    const filters = doc.filters || {};
    if (!config.api || !filters.enabled) return;
    form.hidden = false;
    form.replaceChildren();
    const applied = filters.applied || {};
    const choices = filters.choices || {};
    const range = doc.date_range || {};
    const date = (name, label) => {
      const input = el("input", { type: "date", name, id: "filter-" + name });
      input.value = applied[name] || "";
      const box = el("label", {}, label);
      box.append(input);
      return box;
    };
    const select = (name, label) => {
      const input = el("select", { name, id: "filter-" + name });
      input.append(el("option", { value: "" }, "all"));
      for (const value of choices[name] || []) input.append(el("option", { value }, value));
      input.value = applied[name] || "";
      const box = el("label", {}, label);
      box.append(input);
      return box;
    };
    // A shop whose sales model has no branch (or category) has no values to choose from:
    // no select for it.
    const selects = [["branch", "Branch"], ["category", "Category"]]
      .filter(([name]) => (choices[name] || []).length || applied[name])
      .map(([name, label]) => select(name, label));
    form.append(date("from", "From"), date("to", "To"), ...selects,
                el("button", { type: "submit", id: "filter-apply" }, "Apply"),
                el("button", { type: "reset", id: "filter-reset" }, "Reset"));
    if (!applied.from && range.from) form.querySelector("#filter-from").placeholder = range.from;
  }

  async function reload(params) {
    const response = await fetch(config.api + "?" + params.toString());
    const doc = await response.json();
    if (!response.ok) {
      document.getElementById("panels").replaceChildren(el("p", { class: "error" }, doc.error || response.statusText));
      return;
    }
    render(doc);
    history.replaceState(null, "", "?" + params.toString());
  }

  function render(doc) {
    renderMeta(doc);
    renderFilters(doc);
    renderPanels(doc);
  }

  document.getElementById("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(event.target)) if (v) params.set(k, v);
    reload(params);
  });
  document.getElementById("filters").addEventListener("reset", (event) => {
    event.preventDefault();
    reload(new URLSearchParams());
  });

  render(data);
})();
