// Gugus: small enhancements only; every page works without this file.
// Region typeahead: inputs with data-region-typeahead get suggestions from /api/v1/regions.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // A name several places share: the places offered under the field fill it when chosen.
  document.querySelectorAll("[data-fill]").forEach(function (b) {
    b.addEventListener("click", function () {
      var input = document.getElementById(b.getAttribute("data-fill"));
      if (!input) return;
      input.value = b.getAttribute("data-value");
      input.focus();
    });
  });
  // On a phone the case list's filters fold away (they take a screen) unless one is set.
  var filters = document.querySelector("details.filters-fold");
  if (filters && window.matchMedia("(max-width: 40rem)").matches) {
    var set = Array.from(new URLSearchParams(location.search).entries())
      .some(function (kv) { return kv[0] !== "page" && kv[0] !== "ok" && kv[1] !== ""; });
    if (!set) filters.open = false;
  }
  // "Print" buttons (the case page, the plan, a referral); without JavaScript the
  // browser's own print command gives the same paper (the print stylesheet).
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
  // On a phone the main menu folds behind a "Menu" button.
  var toggle = document.querySelector(".menu-toggle");
  var nav = document.getElementById("main-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  function debounce(fn, ms) {
    var t;
    return function () { var a = arguments; clearTimeout(t); t = setTimeout(function () { fn.apply(null, a); }, ms); };
  }
  document.querySelectorAll("input[data-region-typeahead]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    var mode = input.getAttribute("data-region-typeahead");
    var last = "";
    var lookup = debounce(function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last) return;
      last = q;
      fetch("/api/v1/regions?limit=15&q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (rows) {
          list.textContent = "";
          rows.forEach(function (r) {
            var o = document.createElement("option");
            o.value = mode === "code" ? r.code : r.name;
            var text = r.code + " · " + r.name + (r.place ? " — " + r.place : "");
            o.label = text;
            o.textContent = text;
            list.appendChild(o);
          });
        })
        .catch(function () { /* offline: the plain form still works */ });
    }, 200);
    input.addEventListener("input", lookup);
  });
  // Move focus to the error summary so screen readers announce it; otherwise, on a page
  // opened at a victim block (after "add a victim"), to that block's first field.
  // Irreversible steps ask first: the server answers an unconfirmed form with a
  // confirmation page; here a dialog asks instead (the button's or the form's
  // data-confirm text) and the form goes with confirmed=yes.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var button = e.submitter;
    var text = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (!text || form.querySelector("input[name=confirmed]")) return;
    if (!window.confirm(text)) {
      e.preventDefault();
      return;
    }
    var yes = document.createElement("input");
    yes.type = "hidden";
    yes.name = "confirmed";
    yes.value = "yes";
    form.appendChild(yes);
  });
  // A page opened at a fragment (a form of a page with several) is scrolled there by the
  // browser after load, which takes the focus back: focus again after that.
  function focusAfterLoad(el) {
    el.focus();
    if (location.hash) {
      window.addEventListener("load", function () {
        setTimeout(function () { el.focus(); }, 0);
      });
    }
  }
  var summary = document.getElementById("error-summary");
  if (summary) {
    focusAfterLoad(summary);
  } else if (location.hash.indexOf("#victim-") === 0) {
    var block = document.getElementById(location.hash.slice(1));
    var first = block && block.querySelector("input, select");
    if (first) focusAfterLoad(first);
  }
})();
// Charts and maps as PNG: the standalone SVG download (its style inside) drawn on a canvas
// at twice its size (a data: URL, as the content policy allows images from), saved as PNG.
(function () {
  "use strict";
  function png(url) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (svg) {
        return new Promise(function (resolve, reject) {
          var m = /viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"/.exec(svg);
          var w = m ? parseFloat(m[1]) : 800, h = m ? parseFloat(m[2]) : 600;
          var scale = Math.max(1, 1600 / w);
          var img = new Image();
          img.onload = function () {
            var c = document.createElement("canvas");
            c.width = Math.round(w * scale);
            c.height = Math.round(h * scale);
            var ctx = c.getContext("2d");
            ctx.fillStyle = "#fff";
            ctx.fillRect(0, 0, c.width, c.height);
            ctx.drawImage(img, 0, 0, c.width, c.height);
            c.toBlob(function (b) { if (b) { resolve(b); } else { reject(new Error("png")); } }, "image/png");
          };
          img.onerror = function () { reject(new Error("svg")); };
          img.src = "data:image/svg+xml;base64," + btoa(unescape(encodeURIComponent(svg)));
        });
      });
  }
  window.gugusPng = png;
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[data-png]");
    if (!a) return;
    e.preventDefault();
    png(a.getAttribute("data-png")).then(function (blob) {
      var l = document.createElement("a");
      l.href = URL.createObjectURL(blob);
      l.download = a.getAttribute("data-name") || "gugus.png";
      document.body.appendChild(l);
      l.click();
      l.remove();
    });
  });
})();
