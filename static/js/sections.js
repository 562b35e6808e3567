/*
 * marketplace_prep — section forms: rows, instance types, metric regexes, pricing.
 * Progressive: every form works without this file (see listings/section_forms/rows.py).
 * CSP-friendly: no inline handlers, no eval, no inline styles; event delegation on document.
 *
 *  (a) rows: add (clone the formset's <template>), move up/down (renumber Position), mark removed
 *  (b) hyperparameters: show min/max or values for the chosen type
 *  (c) instance types: filter box, counts, recommended <select> in step with the checked boxes
 *  (d) training: try each metric regex on its sample line (server, Python re); objective metric choices
 *  (e) pricing: show the parts of the chosen model; live cost preview
 *  (f) autosave (hx-post on #autosave-status): show refusals in their own words, say when the draft could not
 *      be sent, and stop autosaving once a form of the page is submitted (a late draft must not outlive a save
 *      or a discard)
 */
(function () {
  "use strict";

  var doc = document;
  doc.documentElement.classList.add("js");

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function closest(el, selector) { return el && el.closest ? el.closest(selector) : null; }
  function poke(el) {
    // Tell the live check (hx-trigger="input changed" on the form) that something changed.
    if (el) el.dispatchEvent(new Event("input", { bubbles: true }));
  }
  function csrfToken() {
    var meta = doc.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /* ------------------------------------------------------------------ (a) rows */
  function rowsOf(rowset) {
    var list = rowset.querySelector("[data-rows]");
    return list ? Array.prototype.filter.call(list.children, function (li) { return li.hasAttribute("data-row"); }) : [];
  }

  function renumber(rowset) {
    var rows = rowsOf(rowset);
    var live = 0;
    rows.forEach(function (row, i) {
      var number = row.querySelector("[data-row-number]");
      if (number) number.textContent = String(i + 1);
      var order = row.querySelector('input[name$="-ORDER"]');
      if (order && order.value !== String(i + 1)) { order.value = String(i + 1); }
      var up = row.querySelector('[data-move="up"]');
      var down = row.querySelector('[data-move="down"]');
      if (up) up.disabled = i === 0;
      if (down) down.disabled = i === rows.length - 1;
      if (!row.classList.contains("is-removed")) live++;
    });
    var count = rowset.querySelector("[data-row-count]");
    if (count) count.textContent = String(live);
    var empty = rowset.querySelector("[data-rows-empty]");
    if (empty) empty.hidden = rows.length > 0;
    var max = parseInt(rowset.getAttribute("data-max"), 10);
    var add = rowset.querySelector("[data-add-row]");
    var note = rowset.querySelector("[data-row-limit]");
    var full = max > 0 && live >= max;
    if (add && !closest(add, "fieldset[disabled]")) add.disabled = full;
    if (note) note.hidden = !full;
  }

  function addRow(rowset) {
    var prefix = rowset.getAttribute("data-rowset");
    var template = rowset.querySelector("template[data-row-template]");
    var total = doc.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var list = rowset.querySelector("[data-rows]");
    if (!template || !total || !list) return;
    var index = parseInt(total.value, 10) || 0;
    var fragment = template.content.cloneNode(true);
    each(fragment.querySelectorAll("*"), function (el) {
      each(["name", "id", "for", "aria-describedby", "aria-labelledby"], function (attr) {
        var v = el.getAttribute(attr);
        if (v && v.indexOf("__prefix__") >= 0) el.setAttribute(attr, v.split("__prefix__").join(String(index)));
      });
    });
    var row = fragment.querySelector("[data-row]");
    list.appendChild(fragment);
    total.value = String(index + 1);
    revealJsOnly(row);
    renumber(rowset);
    initRow(row);
    if (row.querySelector('select[name$="-metric_name"]')) syncObjectives();
    if (window.htmx && window.htmx.process) window.htmx.process(row);
    if (window.htmx && window.htmx.trigger) window.htmx.trigger(row, "htmx:load");
    var first = row.querySelector("input:not([type=hidden]):not([type=checkbox]):not([name$='-ORDER']), select, textarea");
    if (first) first.focus();
    poke(total);
  }

  function moveRow(row, direction) {
    var rowset = closest(row, "[data-rowset]");
    var sibling = direction === "up" ? row.previousElementSibling : row.nextElementSibling;
    if (!sibling || !rowset) return;
    if (direction === "up") row.parentNode.insertBefore(row, sibling);
    else row.parentNode.insertBefore(sibling, row);
    renumber(rowset);
    var button = row.querySelector('[data-move="' + direction + '"]');
    if (button && !button.disabled) button.focus();
    poke(row.querySelector('input[name$="-ORDER"]'));
  }

  function initRow(row) {
    if (!row) return;
    var del = row.querySelector('input[name$="-DELETE"]');
    if (del) row.classList.toggle("is-removed", del.checked);
    var switcher = row.querySelector("[data-switch]");
    if (switcher) applySwitch(row, switcher.value);
    var name = row.querySelector('[name$="-name"], [name$="-metric_name"]');
    var shown = row.querySelector("[data-row-name]");
    if (name && shown) shown.textContent = name.value || "";
  }

  doc.addEventListener("click", function (evt) {
    var add = closest(evt.target, "[data-add-row]");
    if (add) {
      var rowset = closest(add, "[data-rowset]");
      if (rowset && rowset.querySelector("template[data-row-template]")) {
        evt.preventDefault();
        addRow(rowset);
      }
      return;
    }
    var move = closest(evt.target, "[data-move]");
    if (move) {
      evt.preventDefault();
      var row = closest(move, "[data-row]");
      if (row) moveRow(row, move.getAttribute("data-move"));
    }
  });

  doc.addEventListener("change", function (evt) {
    var t = evt.target;
    if (t.matches && t.matches('input[name$="-DELETE"]')) {
      var row = closest(t, "[data-row]");
      if (row) row.classList.toggle("is-removed", t.checked);
      var rowset = closest(t, "[data-rowset]");
      if (rowset) renumber(rowset);
    }
  });

  /* -------------------------------------------------------- (b) hyperparameters */
  function applySwitch(row, value) {
    each(row.querySelectorAll("[data-show-for]"), function (cell) {
      var values = cell.getAttribute("data-show-for").split(" ");
      // Hide a field that does not apply only while it is empty and error-free: a leftover value or an
      // error must stay in sight, or the seller could not see what the checks complain about.
      var input = cell.querySelector("input, textarea, select");
      var filled = input && input.value.trim() !== "";
      cell.hidden = values.indexOf(value) < 0 && !filled && !cell.classList.contains("has-error");
    });
  }

  doc.addEventListener("input", function (evt) {
    var t = evt.target;
    if (!t.matches) return;
    var row = closest(t, "[data-row]");
    if (row && t.matches("[data-switch]")) applySwitch(row, t.value);
    if (row && t.matches('[name$="-name"], [name$="-metric_name"]')) {
      var shown = row.querySelector("[data-row-name]");
      if (shown) shown.textContent = t.value;
    }
  });
  doc.addEventListener("change", function (evt) {
    var t = evt.target;
    var row = closest(t, "[data-row]");
    if (row && t.matches && t.matches("[data-switch]")) applySwitch(row, t.value);
  });

  /* ------------------------------------------------------- (c) instance types */
  function panelOf(el) { return closest(el, ".mode-panel[data-mode]"); }

  function syncPanel(panel) {
    var mode = panel.getAttribute("data-mode");
    var checked = [];
    each(panel.querySelectorAll('input[type="checkbox"][name="' + mode + '"]'), function (box) {
      if (box.checked) checked.push(box.value);
    });
    each(panel.querySelectorAll("details[data-family]"), function (family) {
      var n = family.querySelectorAll('input[type="checkbox"]:checked').length;
      var count = family.querySelector("[data-family-count]");
      if (count) count.textContent = String(n);
      family.classList.toggle("has-chosen", n > 0);
    });
    var summary = panel.querySelector("[data-chosen-summary]");
    if (summary) {
      summary.textContent = "";
      if (checked.length) {
        var strong = doc.createElement("strong");
        strong.textContent = checked.length + " chosen: ";
        var list = doc.createElement("span");
        list.className = "mono";
        list.textContent = checked.join(", ");
        summary.appendChild(strong);
        summary.appendChild(list);
      } else {
        summary.textContent = "None chosen yet.";
      }
    }
    var select = panel.querySelector("select[data-recommended-for]");
    if (select) {
      var current = select.value;
      var placeholder = select.querySelector("option[data-placeholder]");
      each(Array.prototype.slice.call(select.options), function (opt) {
        if (!opt.hasAttribute("data-placeholder")) opt.remove();
      });
      checked.forEach(function (value) {
        var opt = doc.createElement("option");
        opt.value = value;
        opt.textContent = value;
        select.appendChild(opt);
      });
      if (placeholder) placeholder.textContent = checked.length ? "Choose one of the checked types" : "Check types above first";
      // Keep the choice while it is checked; a single checked type is the obvious recommendation.
      if (checked.indexOf(current) >= 0) select.value = current;
      else if (checked.length === 1) select.value = checked[0];
      else select.value = "";
    }
  }

  var filterTimer = null;
  function applyFilter(input) {
    var query = input.value.trim().toLowerCase().replace(/^ml\./, "");
    var terms = query.split(/[\s,]+/).filter(Boolean);
    var matches = 0;
    each(doc.querySelectorAll(".mode-panel[data-mode]"), function (panel) {
      each(panel.querySelectorAll("details[data-family]"), function (family) {
        var any = false;
        each(family.querySelectorAll("[data-type]"), function (label) {
          var name = label.getAttribute("data-type").toLowerCase().replace(/^ml\./, "");
          var family_text = (family.querySelector("summary") || family).textContent.toLowerCase();
          var hit = !terms.length || terms.every(function (term) {
            return name.indexOf(term) >= 0 || family_text.indexOf(term) >= 0;
          });
          label.hidden = !hit;
          if (hit) { any = true; if (terms.length) matches++; }
        });
        family.hidden = !any;
        if (terms.length) family.open = any;
        else family.open = family.classList.contains("has-chosen") || family.querySelectorAll("input:checked").length > 0;
      });
      each(panel.querySelectorAll("[data-accel-group]"), function (group) {
        group.hidden = !group.querySelector("details[data-family]:not([hidden])");
      });
    });
    var status = doc.querySelector("[data-it-filter-status]");
    if (status) {
      status.textContent = terms.length
        ? (matches ? matches + " matching type" + (matches === 1 ? "" : "s") + " across the modes." : "No instance type matches “" + input.value.trim() + "”.")
        : "Families with a checked type are open; type to search all of them.";
    }
  }

  doc.addEventListener("input", function (evt) {
    var t = evt.target;
    if (t.matches && t.matches("[data-it-filter]")) {
      evt.stopPropagation(); // searching is not an edit: keep the live check quiet
      window.clearTimeout(filterTimer);
      filterTimer = window.setTimeout(function () { applyFilter(t); }, 120);
    }
  }, true);
  doc.addEventListener("keydown", function (evt) {
    // Enter in the filter box must not submit the form.
    if (evt.key === "Enter" && evt.target.matches && evt.target.matches("[data-it-filter]")) evt.preventDefault();
  });
  doc.addEventListener("change", function (evt) {
    var t = evt.target;
    if (t.type === "checkbox") {
      var panel = panelOf(t);
      if (panel && t.name === panel.getAttribute("data-mode")) syncPanel(panel);
    }
  });

  /* ----------------------------------------------------------------- (d) training */
  var tryTimers = new WeakMap();

  function tryMetric(row) {
    var scope = closest(row, "[data-metric-try-url]");
    var out = row.querySelector("[data-metric-try]");
    var regex = row.querySelector('[name$="-regex"]');
    var line = row.querySelector('[name$="-sample_log_line"]');
    if (!scope || !out || !regex || !line) return;
    var body = new URLSearchParams();
    body.set("regex", regex.value);
    body.set("sample_log_line", line.value);
    out.classList.add("pending");
    fetch(scope.getAttribute("data-metric-try-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString()
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (result) {
      out.className = "metric-try " + result.status;
      var text = out.querySelector("[data-metric-try-text]");
      if (text) text.textContent = result.message;
    }).catch(function () {
      out.classList.remove("pending");
      var text = out.querySelector("[data-metric-try-text]");
      if (text) text.textContent = "Could not try the regex just now; it is checked again when you save.";
    });
  }

  function metricNames() {
    var names = [];
    each(doc.querySelectorAll('[data-rowset="metrics"] [data-row]'), function (row) {
      if (row.classList.contains("is-removed")) return;
      var input = row.querySelector('input[name$="-name"]');
      var v = input ? input.value.trim() : "";
      if (v && names.indexOf(v) < 0) names.push(v);
    });
    return names;
  }

  function syncObjectives() {
    var names = metricNames();
    each(doc.querySelectorAll('select[name^="tuning_objectives-"][name$="-metric_name"]'), function (select) {
      var current = select.value;
      each(Array.prototype.slice.call(select.options), function (opt) { if (opt.value) opt.remove(); });
      names.forEach(function (name) {
        var opt = doc.createElement("option");
        opt.value = name;
        opt.textContent = name;
        select.appendChild(opt);
      });
      if (current && names.indexOf(current) < 0) {
        var stale = doc.createElement("option");
        stale.value = current;
        stale.textContent = current + " (not a metric above)";
        select.appendChild(stale);
      }
      select.value = current;
    });
  }

  doc.addEventListener("input", function (evt) {
    var t = evt.target;
    if (!t.matches) return;
    if (t.matches('[name^="metrics-"][name$="-regex"], [name^="metrics-"][name$="-sample_log_line"]')) {
      var row = closest(t, "[data-row]");
      if (!row) return;
      window.clearTimeout(tryTimers.get(row));
      tryTimers.set(row, window.setTimeout(function () { tryMetric(row); }, 350));
    }
    if (t.matches('[name^="metrics-"][name$="-name"]')) syncObjectives();
  });
  doc.addEventListener("change", function (evt) {
    if (evt.target.matches && evt.target.matches('[name^="metrics-"][name$="-DELETE"]')) syncObjectives();
  });

  /* ------------------------------------------------------------------ (e) pricing */
  // Decimal arithmetic on strings (BigInt), so 0.1 × 730 shows 73.00, never 73.00000000000001.
  function parseDecimal(text) {
    var m = /^\s*(\d*)(?:\.(\d+))?\s*$/.exec(text || "");
    if (!m || (!m[1] && !m[2])) return null;
    var fraction = m[2] || "";
    return { units: BigInt((m[1] || "0") + fraction), scale: fraction.length };
  }
  function formatMoney(d) {
    var s = d.units.toString();
    while (s.length <= d.scale) s = "0" + s;
    var whole = s.slice(0, s.length - d.scale) || "0";
    var fraction = s.slice(s.length - d.scale).replace(/0+$/, "");
    while (fraction.length < 2) fraction += "0";
    return "$" + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + fraction;
  }
  function times(d, n) { return { units: d.units * BigInt(n), scale: d.scale }; }

  function showModel(root) {
    var checked = root.querySelector('[data-pricing-model] input[type="radio"]:checked');
    var model = checked ? checked.value : "";
    each(root.querySelectorAll("[data-model-part]"), function (part) {
      part.hidden = model !== "" && part.getAttribute("data-model-part").split(" ").indexOf(model) < 0;
    });
  }

  function updatePreview(input) {
    var key = input.getAttribute("data-dimension");
    var d = parseDecimal(input.value);
    var hours = 730;
    each(doc.querySelectorAll('[data-preview-key="' + (window.CSS && CSS.escape ? CSS.escape(key) : key) + '"]'), function (li) {
      var price = li.querySelector("[data-preview-price]");
      var extra = li.querySelector("[data-preview-extra]");
      if (price) price.textContent = d ? formatMoney(d) + " per hour" : "\u2014";
      if (extra) extra.textContent = d ? "\u2248 " + formatMoney(times(d, hours)) + " per month running all the time (" + hours + " hours)." : "Not priced yet.";
    });
    if (key === "m.i.c") {
      var li = doc.querySelector("[data-preview-inference]");
      if (!li) return;
      var price = li.querySelector("[data-preview-price]");
      var extra = li.querySelector("[data-preview-extra]");
      if (price) price.textContent = d ? formatMoney(times(d, 1000)) + " per 1,000 inferences" : "\u2014";
      if (extra) extra.textContent = d ? formatMoney(d) + " per inference." : "Not priced yet.";
    }
  }

  doc.addEventListener("input", function (evt) {
    var t = evt.target;
    if (t.matches && t.matches("input[data-dimension]")) updatePreview(t);
  });
  doc.addEventListener("change", function (evt) {
    var t = evt.target;
    if (t.matches && t.matches('[data-pricing-model] input[type="radio"]')) showModel(closest(t, "form") || doc);
  });

  /* ----------------------------------------------------------------- (f) autosave */
  var leaving = false;

  function isAutosave(el) { return !!(el && el.hasAttribute && el.hasAttribute("data-autosave")); }

  function autosaveSays(el, text) {
    var span = doc.createElement("span");
    span.className = "autosave-error";
    span.textContent = text;
    el.textContent = "";
    el.appendChild(span);
  }

  var KEPT_HERE = " What you typed is still in this page: save the section to keep it.";

  doc.addEventListener("htmx:beforeSwap", function (evt) {
    var d = evt.detail;
    if (!isAutosave(d.elt) || !d.xhr || d.xhr.status < 400) return;
    if (d.xhr.getResponseHeader("X-Draft-Status")) {
      // The server's own refusal (too large, logged out, viewer): a short fragment meant for this line.
      d.shouldSwap = true;
      d.isError = false;
    } else {
      d.shouldSwap = false;
      autosaveSays(d.elt, "Draft not saved (the server answered " + d.xhr.status + ")." + KEPT_HERE);
    }
  });
  doc.addEventListener("htmx:sendError", function (evt) {
    if (isAutosave(evt.detail.elt)) autosaveSays(evt.detail.elt, "Draft not saved: the server could not be reached." + KEPT_HERE);
  });
  doc.addEventListener("htmx:timeout", function (evt) {
    if (isAutosave(evt.detail.elt)) autosaveSays(evt.detail.elt, "Draft not saved: the server took too long." + KEPT_HERE);
  });
  doc.addEventListener("htmx:confirm", function (evt) {
    if (leaving && isAutosave(evt.detail.elt)) evt.preventDefault();
  });
  // Bubble phase: a submit that app.js's confirm() or htmx cancelled has defaultPrevented set and changes nothing.
  doc.addEventListener("submit", function (evt) {
    if (evt.defaultPrevented) return;
    leaving = true;
    each(doc.querySelectorAll("[data-autosave]"), function (el) {
      if (window.htmx && window.htmx.trigger) window.htmx.trigger(el, "htmx:abort");
    });
  });
  // Back from the browser's cache after leaving: autosave again.
  window.addEventListener("pageshow", function (evt) { if (evt.persisted) leaving = false; });

  /* ---------------------------------------------------------------------- init */
  function revealJsOnly(root) {
    each((root || doc).querySelectorAll("[data-js-only]"), function (el) { el.hidden = false; });
  }

  function init() {
    revealJsOnly(doc);
    each(doc.querySelectorAll("[data-rowset]"), function (rowset) {
      rowsOf(rowset).forEach(initRow);
      renumber(rowset);
    });
    each(doc.querySelectorAll(".mode-panel[data-mode]"), function (panel) {
      each(panel.querySelectorAll("details[data-family]"), function (family) {
        family.classList.toggle("has-chosen", family.querySelectorAll("input:checked").length > 0);
      });
    });
    if (doc.querySelector("[data-pricing-model]")) showModel(doc.getElementById("section-form") || doc);
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
