/*
 * marketplace_prep — small progressive enhancements. No dependencies.
 * CSP-friendly: no inline handlers, no eval, no inline styles.
 * Loaded with `defer` after htmx (also `defer`), so it runs before
 * DOMContentLoaded and before htmx initialises the page.
 *
 *  (a) live character counters for input/textarea[data-maxlength]
 *  (b) confirm() for [data-confirm] on buttons, links and forms
 *  (c) htmx config + CSRF header on htmx requests
 *  (d) dismiss buttons for Django messages (.messages li)
 */
(function () {
  "use strict";

  var doc = document;

  /* ------------------------------------------------------------- (c) htmx */
  if (window.htmx && window.htmx.config) {
    var cfg = window.htmx.config;
    // htmx would otherwise inject an inline <style> for .htmx-indicator,
    // which a strict style-src CSP blocks; app.css carries those rules.
    cfg.includeIndicatorStyles = false;
    // No eval-based features (hx-on attributes, js: values, trigger filters)
    // and no executing <script> tags that arrive in swapped fragments.
    cfg.allowEval = false;
    cfg.allowScriptTags = false;
    // Only talk to our own origin (already the htmx 2 default).
    cfg.selfRequestsOnly = true;
  }

  function csrfToken() {
    var meta = doc.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    var input = doc.querySelector('input[name="csrfmiddlewaretoken"]');
    if (input && input.value) return input.value;
    var m = doc.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : null;
  }

  function sameOrigin(path) {
    try {
      return new URL(path, window.location.href).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  doc.addEventListener("htmx:configRequest", function (evt) {
    var d = evt.detail;
    if (!d || !d.headers) return;
    if (d.path && !sameOrigin(d.path)) return;
    var token = csrfToken();
    if (token) d.headers["X-CSRFToken"] = token;
  });

  /* ------------------------------------------------- (a) character counters */
  var counterSeq = 0;

  // Count like Python's len(): code points, not UTF-16 units.
  function charCount(value) {
    var n = 0;
    for (var i = 0; i < value.length; i++) {
      var c = value.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length) {
        var c2 = value.charCodeAt(i + 1);
        if (c2 >= 0xdc00 && c2 <= 0xdfff) i++;
      }
      n++;
    }
    return n;
  }

  function findCounter(field) {
    if (field.id) {
      var explicit = doc.querySelector('.counter[data-counter-for="' + field.id + '"]');
      if (explicit) return explicit;
    }
    var next = field.nextElementSibling;
    if (next && next.classList.contains("counter")) return next;
    return null;
  }

  function bindCounter(field) {
    var max = parseInt(field.getAttribute("data-maxlength"), 10);
    if (!(max > 0)) return null;
    var counter = findCounter(field);
    if (!counter) {
      counter = doc.createElement("span");
      counter.className = "counter";
      field.insertAdjacentElement("afterend", counter);
    }
    if (!counter.id) {
      counterSeq += 1;
      counter.id = (field.id || "field") + "-counter-" + counterSeq;
    }
    counter.setAttribute("aria-live", "polite");
    counter.setAttribute("aria-atomic", "true");
    var described = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (described.indexOf(counter.id) < 0) {
      described.push(counter.id);
      field.setAttribute("aria-describedby", described.join(" "));
    }
    field.setAttribute("data-counter-bound", counter.id);
    return counter;
  }

  function updateCounter(field) {
    var max = parseInt(field.getAttribute("data-maxlength"), 10);
    if (!(max > 0)) return;
    var id = field.getAttribute("data-counter-bound");
    var counter = (id && doc.getElementById(id)) || bindCounter(field);
    if (!counter) return;
    var n = charCount(field.value || "");
    var over = n > max;
    var text = n + " / " + max;
    if (over) text += " \u2014 " + (n - max) + " over the limit";
    if (counter.textContent !== text) counter.textContent = text;
    counter.classList.toggle("over", over);
  }

  function initCounters(root) {
    var scope = root && root.querySelectorAll ? root : doc;
    var fields = scope.querySelectorAll("input[data-maxlength], textarea[data-maxlength]");
    for (var i = 0; i < fields.length; i++) updateCounter(fields[i]);
    if (scope.matches && scope.matches("input[data-maxlength], textarea[data-maxlength]")) {
      updateCounter(scope);
    }
  }

  doc.addEventListener("input", function (evt) {
    var t = evt.target;
    if (t && t.hasAttribute && t.hasAttribute("data-maxlength")) updateCounter(t);
  });
  // form.reset() does not fire "input"
  doc.addEventListener("reset", function (evt) {
    var form = evt.target;
    window.setTimeout(function () { initCounters(form); }, 0);
  });

  /* -------------------------------------------------------- (b) confirmations */
  function ask(message) {
    return window.confirm(message);
  }

  var HX_VERB = /(^| )(data-)?hx-(get|post|put|patch|delete)( |$)/;
  function attrNames(el) {
    var names = [];
    for (var i = 0; i < el.attributes.length; i++) names.push(el.attributes[i].name);
    return names.join(" ");
  }

  function cancel(evt) {
    evt.preventDefault();
    evt.stopImmediatePropagation();
  }

  // Submit buttons inside a form are handled in the "submit" listener (so the
  // browser's own validation runs first and Enter-key submits are covered);
  // everything else (links, plain/htmx buttons) is handled on click.
  doc.addEventListener("click", function (evt) {
    var el = evt.target && evt.target.closest ? evt.target.closest("[data-confirm]") : null;
    if (!el || el.tagName === "FORM") return;
    if (el.disabled) return;
    var isSubmit = (el.tagName === "BUTTON" && (el.getAttribute("type") || "submit").toLowerCase() === "submit") ||
      (el.tagName === "INPUT" && /^(submit|image)$/i.test(el.type));
    // A submit button that issues its own htmx request (hx-post etc.) never
    // fires "submit" (htmx cancels the click), so confirm it here.
    if (isSubmit && el.form && !HX_VERB.test(attrNames(el))) return;
    if (!ask(el.getAttribute("data-confirm"))) cancel(evt);
  }, true);

  doc.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form || form.tagName !== "FORM") return;
    var submitter = evt.submitter;
    var msg = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (msg && !ask(msg)) cancel(evt);
  }, true);

  /* ------------------------------------------------ (d) dismissable messages */
  function initMessages(root) {
    var scope = root && root.querySelectorAll ? root : doc;
    var items = scope.querySelectorAll(".messages li");
    for (var i = 0; i < items.length; i++) {
      var li = items[i];
      if (li.querySelector(".dismiss")) continue;
      var b = doc.createElement("button");
      b.type = "button";
      b.className = "dismiss";
      b.setAttribute("aria-label", "Dismiss message");
      b.textContent = "\u00d7";
      li.appendChild(b);
    }
  }

  doc.addEventListener("click", function (evt) {
    var btn = evt.target && evt.target.closest ? evt.target.closest(".messages .dismiss, .banner .dismiss") : null;
    if (!btn) return;
    var item = btn.closest(".messages li, .banner");
    if (!item) return;
    var list = item.parentElement;
    item.remove();
    if (list && list.classList.contains("messages") && !list.children.length) list.remove();
  });

  /* ------------------------------------------------------------------ init */
  function init(root) {
    initCounters(root);
    initMessages(root);
  }

  if (doc.readyState === "loading") {
    doc.addEventListener("DOMContentLoaded", function () { init(doc); });
  } else {
    init(doc);
  }
  // htmx fires htmx:load on every newly swapped-in element.
  doc.addEventListener("htmx:load", function (evt) { init(evt.target); });
})();
