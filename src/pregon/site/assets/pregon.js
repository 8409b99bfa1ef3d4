/* pregon: offers (or, embedded, performs) a reload when json/main.json announces a newer corte.
   The pages work without it; nothing here breaks frames or touches the parent window. */
(function () {
  "use strict";
  var html = document.documentElement;
  var box = document.getElementById("nuevo-corte");
  if (!box || !window.fetch || !window.JSON) { return; }
  var root = html.getAttribute("data-root") || "";
  var mine = parseInt(html.getAttribute("data-secuencia"), 10) || 0;
  var vigente = html.getAttribute("data-vigente") === "1";
  var embed = html.getAttribute("data-embed") === "1";
  var base = vigente ? mine : null;
  var shown = 0;
  function reloadOnce(seq) {
    /* embedded: reload by itself, but once per announced corte (a stale cached copy must not loop) */
    try {
      if (window.sessionStorage.getItem("pregon-recarga") === String(seq)) { return false; }
      window.sessionStorage.setItem("pregon-recarga", String(seq));
    } catch (e) { return false; }
    window.location.reload();
    return true;
  }
  function show(c) {
    if (c.secuencia <= shown) { return; }
    shown = c.secuencia;
    if (embed && reloadOnce(c.secuencia)) { return; }
    box.textContent = "Hay un corte más reciente: " + c.fecha_hora + " (" + c.zona + "). ";
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = "Actualizar";
    b.addEventListener("click", function () { window.location.reload(); });
    box.appendChild(b);
    box.hidden = false;
  }
  function stamped() {
    /* the corte shown by the page's stamp frame (same origin), 0 when not readable yet */
    try {
      var f = document.querySelector("iframe.sello-marco");
      var d = f && f.contentDocument && f.contentDocument.documentElement;
      return (d && parseInt(d.getAttribute("data-secuencia"), 10)) || 0;
    } catch (e) { return 0; }
  }
  function poll() {
    fetch(root + "json/main.json", { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (m) {
        if (!m || !m.corte || typeof m.corte.secuencia !== "number") { return; }
        /* pages left untouched by an incremental build were rendered at an older corte: for them the
           baseline is the corte their stamp frame (corte.html) showed when opened, else main.json's now */
        if (base === null) { base = Math.max(mine, stamped() || m.corte.secuencia); }
        if (m.corte.secuencia > base) { show(m.corte); }
      })
      .catch(function () { /* offline or moved: try again later */ });
  }
  poll();
  window.setInterval(poll, 60000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { poll(); } });
}());
