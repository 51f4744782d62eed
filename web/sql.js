// The SQL page (/sql, web/templates/sql.html): posts the statement to /api/query and shows
// the rows, or the refusal with its hint. The server inlines it into the page.
(function () {
  "use strict";
  const form = document.getElementById("sql-form");
  const out = document.getElementById("sql-result");
  const error = document.getElementById("sql-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    out.replaceChildren();
    error.textContent = "";
    const response = await fetch("/api/query", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sql: document.getElementById("sql").value }),
    });
    const body = await response.json();
    if (!response.ok) {
      error.textContent = body.error + (body.hint ? " (" + body.hint + ")" : "");
      return;
    }
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    for (const c of body.columns) head.insertCell().outerHTML = "<th></th>";
    body.columns.forEach((c, i) => { head.cells[i].textContent = c.name; });
    const rows = table.createTBody();
    for (const row of body.rows) {
      const tr = rows.insertRow();
      for (const c of body.columns) {
        const v = row[c.name];
        tr.insertCell().textContent = v === null ? "NULL" : String(v);
      }
    }
    out.append(table);
    const note = document.createElement("p");
    note.id = "sql-count";
    note.textContent = body.rows.length + " rows" + (body.truncated ? " (truncated)" : "");
    out.append(note);
  });
})();
