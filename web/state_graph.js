// An execution's state machine (/execution?arn=..., web/templates/execution.html): draws the
// Vega-Lite spec the server wrote into #graph-spec (server/state_graph.h) and marks the page
// rendered for the browser tests. The server inlines it into the page.
vegaEmbed("#graph", JSON.parse(document.getElementById("graph-spec").textContent), {
  actions: false,
  renderer: "svg",
}).then(() => document.body.setAttribute("data-rendered", String(Date.now())));
