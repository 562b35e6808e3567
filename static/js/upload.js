/*
 * marketplace_prep — artifact uploads with a progress bar, in pieces, resumable. No dependencies.
 * CSP-friendly: no inline handlers, no eval, no inline styles (progress is a <progress> element).
 *
 * A form.upload-form (templates/listings/artifacts/_upload_form.html) works without this script as a plain
 * multipart post. With it, each chosen file is sent as a resumable upload (listings/artifacts/views.py):
 *   POST  data-start-url            → {id, url, complete_url, received, chunk_bytes}
 *   PUT   url  (Content-Range)      → {received}      one chunk at a time, XHR for upload progress
 *   GET   url                       → {received}      where to resume after a dropped connection
 *   POST  complete_url              → {artifact, run_panel_url} or {error}
 * The session URL is remembered in localStorage per file (name, size, last-modified), so choosing the same
 * file again after a reload resumes from the last byte the server has.
 * Files up to data-hash-max-bytes are hashed with SubtleCrypto first; the server refuses the file if the
 * bytes it received have another sha256. Larger files are not hashed here (the browser would have to hold
 * them whole); the server hashes every byte it receives either way.
 */
(function () {
  "use strict";

  var doc = document;
  var MAX_RETRIES = 8;
  var STORE_PREFIX = "mp-upload:";

  /* ---------------------------------------------------------------- helpers */
  function csrfToken() {
    var meta = doc.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    var input = doc.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function fmtBytes(n) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(n) : n.toFixed(n >= 100 ? 0 : 1)) + " " + units[i];
  }

  function fail(message, final) {
    var err = new Error(message);
    err.final = final !== false;  // final: the server refused; retrying the same bytes will not help
    return err;
  }

  function parseJSON(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  function request(method, url, body) {
    var headers = { "X-CSRFToken": csrfToken(), "Accept": "application/json" };
    if (body) headers["Content-Type"] = "application/x-www-form-urlencoded";
    return fetch(url, { method: method, headers: headers, body: body || null, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (text) {
          return { status: response.status, body: parseJSON(text) || {} };
        });
      });
  }

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function storeKey(form, file, kind) {
    return STORE_PREFIX + form.getAttribute("data-listing") + ":" + kind + ":" + file.name + ":" +
      file.size + ":" + file.lastModified;
  }

  function hex(buffer) {
    var bytes = new Uint8Array(buffer);
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }

  /* ------------------------------------------------------ one row per file */
  function Item(queue, file) {
    var li = doc.createElement("li");
    li.className = "upload-item";
    var head = doc.createElement("div");
    head.className = "upload-line";
    var name = doc.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var cancel = doc.createElement("button");
    cancel.type = "button";
    cancel.className = "small link upload-cancel";
    cancel.textContent = "Cancel";
    head.appendChild(name);
    head.appendChild(cancel);
    var bar = doc.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    var status = doc.createElement("span");
    status.className = "upload-status";
    status.textContent = "Waiting…";
    li.appendChild(head);
    li.appendChild(bar);
    li.appendChild(status);
    queue.appendChild(li);

    var self = this;
    this.li = li;
    this.file = file;
    this.bar = bar;
    this.statusEl = status;
    this.cancelButton = cancel;
    this.cancelled = false;
    this.xhr = null;
    this.session = null;
    this.started = Date.now();
    this.startBytes = 0;
    cancel.addEventListener("click", function () { self.cancel(); });
  }

  Item.prototype.status = function (text) { this.statusEl.textContent = text; };

  Item.prototype.progress = function (sent, total) {
    var pct = total ? Math.floor((sent / total) * 100) : 100;
    this.bar.value = pct;
    var seconds = (Date.now() - this.started) / 1000;
    var rate = seconds > 1 ? (sent - this.startBytes) / seconds : 0;
    this.status(fmtBytes(sent) + " of " + fmtBytes(total) + " · " + pct + "%" +
      (rate > 0 ? " · " + fmtBytes(rate) + "/s" : ""));
  };

  Item.prototype.done = function (artifact) {
    this.bar.value = 100;
    this.bar.classList.add("passed");
    this.li.classList.add("done");
    this.cancelButton.remove();
    this.status("Stored · sha256 " + artifact.sha256.slice(0, 12) + " · " + fmtBytes(artifact.size) +
      " · validation started");
  };

  Item.prototype.failed = function (message) {
    this.bar.classList.add("failed");
    this.li.classList.add("failed");
    this.statusEl.setAttribute("role", "alert");
    this.cancelButton.remove();
    this.status(message);
  };

  Item.prototype.cancel = function () {
    this.cancelled = true;
    if (this.xhr) this.xhr.abort();
    if (this.session) request("DELETE", this.session.url);
    if (this.key && storage()) storage().removeItem(this.key);
    this.failed("Cancelled.");
  };

  /* ------------------------------------------------------------ the upload */
  function checksum(file, limit, item) {
    if (!(file.size <= limit) || !window.crypto || !window.crypto.subtle || !file.arrayBuffer) {
      return Promise.resolve("");
    }
    item.status("Computing the checksum…");
    return file.arrayBuffer()
      .then(function (buffer) { return window.crypto.subtle.digest("SHA-256", buffer); })
      .then(hex, function () { return ""; });
  }

  function resumeOrStart(form, file, meta, item) {
    var store = storage();
    var saved = store && store.getItem(item.key);
    var resume = saved ? request("GET", saved) : Promise.resolve(null);
    return resume.then(function (res) {
      if (res && res.status === 200 && res.body.size === file.size) {
        item.startBytes = res.body.received;
        if (res.body.received) item.status("Resuming at " + fmtBytes(res.body.received) + "…");
        return res.body;
      }
      return checksum(file, meta.hashMax, item).then(function (digest) {
        var body = new URLSearchParams();
        body.set("kind", meta.kind);
        body.set("name", file.name);
        body.set("size", String(file.size));
        body.set("mode", meta.mode);
        body.set("direction", meta.direction);
        body.set("content_type", meta.contentType);
        body.set("sha256", digest);
        return request("POST", form.getAttribute("data-start-url"), body.toString()).then(function (r) {
          if (r.status !== 201) throw fail(r.body.error || "The upload could not start (HTTP " + r.status + ").");
          if (store) store.setItem(item.key, r.body.url);
          return r.body;
        });
      });
    }, function () {
      if (store) store.removeItem(item.key);
      throw fail("The server cannot be reached. Try again in a moment.", false);
    });
  }

  function sendChunks(session, file, item, chunkBytes) {
    var chunk = session.chunk_bytes || chunkBytes;
    var received = session.received;
    var attempts = 0;
    return new Promise(function (resolve, reject) {
      function next() {
        if (item.cancelled) return reject(fail("Cancelled."));
        if (received >= file.size) return resolve(session);
        var end = Math.min(received + chunk, file.size);
        var from = received;
        var xhr = new XMLHttpRequest();
        item.xhr = xhr;
        xhr.open("PUT", session.url);
        xhr.setRequestHeader("Content-Range", "bytes " + from + "-" + (end - 1) + "/" + file.size);
        xhr.setRequestHeader("Content-Type", "application/octet-stream");
        xhr.setRequestHeader("X-CSRFToken", csrfToken());
        xhr.setRequestHeader("Accept", "application/json");
        xhr.upload.addEventListener("progress", function (e) { item.progress(from + e.loaded, file.size); });
        xhr.addEventListener("load", function () {
          var body = parseJSON(xhr.responseText) || {};
          if (xhr.status === 200) {
            received = body.received;
            attempts = 0;
            item.progress(received, file.size);
            next();
          } else if (xhr.status === 409 && typeof body.received === "number" && attempts < MAX_RETRIES) {
            attempts++;
            received = body.received;  // the server knows better where we are
            next();
          } else if (xhr.status >= 500 || xhr.status === 429) {
            retry();
          } else {
            reject(fail(body.error || "The upload was refused (HTTP " + xhr.status + ")."));
          }
        });
        xhr.addEventListener("error", retry);
        xhr.addEventListener("timeout", retry);
        xhr.send(file.slice(from, end));
      }

      function retry() {
        if (item.cancelled) return reject(fail("Cancelled."));
        attempts++;
        if (attempts > MAX_RETRIES) {
          return reject(fail("The connection keeps dropping. Choose the same file again later: the upload " +
            "resumes from " + fmtBytes(received) + ".", false));
        }
        var delay = Math.min(30, Math.pow(2, attempts - 1));
        item.status("Connection lost at " + fmtBytes(received) + " — retrying in " + delay + " s…");
        window.setTimeout(function () {
          request("GET", session.url).then(function (r) {
            if (r.status === 200) {
              received = r.body.received;
              next();
            } else if (r.status === 404) {
              reject(fail("This upload expired on the server; start it again."));
            } else {
              retry();
            }
          }, retry);
        }, delay * 1000);
      }

      next();
    });
  }

  function complete(session, item) {
    item.status("Checking the file…");
    item.bar.removeAttribute("value");  // indeterminate while the server inspects and stores it
    var tries = 0;
    function attempt() {
      return request("POST", session.complete_url).then(function (r) {
        if (r.status === 201) return r.body;
        if (r.status >= 500 && tries++ < 3) return attempt();
        throw fail(r.body.error || "The file could not be stored (HTTP " + r.status + ").", r.status < 500);
      }, function () {
        if (tries++ < 3) return attempt();
        throw fail("The server cannot be reached to finish the upload. Choose the same file again to retry.", false);
      });
    }
    return attempt();
  }

  // The validation run the change started: swap it into the page, where it polls itself until done.
  function showRun(url) {
    if (window.htmx && url && doc.getElementById("validation-panel")) {
      window.htmx.ajax("GET", url, { target: "#validation-panel", swap: "outerHTML" });
    }
  }

  function refresh(result) {
    if (window.htmx) window.htmx.trigger(doc.body, "artifacts-changed");
    showRun(result && result.run_panel_url);
  }

  function uploadOne(form, file, meta) {
    var queue = form.querySelector("[data-upload-queue]");
    var item = new Item(queue, file);
    item.key = storeKey(form, file, meta.kind);
    if (file.size === 0) {
      item.failed("“" + file.name + "” is empty. Choose the file again; it may not have been saved.");
      return Promise.resolve();
    }
    if (meta.maxBytes && file.size > meta.maxBytes) {
      item.failed("“" + file.name + "” is " + fmtBytes(file.size) + ", over the " + fmtBytes(meta.maxBytes) +
        " limit for " + meta.label.toLowerCase() + ".");
      return Promise.resolve();
    }
    return resumeOrStart(form, file, meta, item)
      .then(function (session) {
        item.session = session;
        item.started = Date.now();
        return sendChunks(session, file, item, meta.chunkBytes);
      })
      .then(function (session) { return complete(session, item); })
      .then(function (result) {
        if (storage()) storage().removeItem(item.key);
        item.done(result.artifact);
        refresh(result);
      })
      .catch(function (err) {
        if (item.cancelled) return;
        if (err.final !== false && storage()) storage().removeItem(item.key);
        item.failed(err.message);
      });
  }

  function metaOf(form) {
    var select = form.querySelector("[data-upload-kind]");
    var option = select.options[select.selectedIndex];
    var checked = function (name) {
      var el = form.querySelector('input[name="' + name + '"]:checked');
      return el ? el.value : "";
    };
    var ct = form.querySelector('input[name="content_type"]');
    return {
      kind: select.value,
      label: option.textContent,
      maxBytes: parseInt(option.getAttribute("data-max-bytes"), 10) || 0,
      mode: checked("mode"),
      direction: checked("direction"),
      contentType: ct ? ct.value.trim() : "",
      chunkBytes: parseInt(form.getAttribute("data-chunk-bytes"), 10) || 8 * 1024 * 1024,
      hashMax: parseInt(form.getAttribute("data-hash-max-bytes"), 10) || 0
    };
  }

  doc.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form || !form.matches || !form.matches("form.upload-form")) return;
    if (!window.fetch || !window.XMLHttpRequest || !window.Blob || !window.URLSearchParams) return;
    evt.preventDefault();
    var input = form.querySelector("[data-upload-file]");
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) return;
    var meta = metaOf(form);
    input.value = "";  // ready for the next choice while these upload
    files.reduce(function (chain, file) {
      return chain.then(function () { return uploadOne(form, file, meta); });
    }, Promise.resolve());
  });

  /* ------------------------------------------------ the form follows the kind */
  function syncKind(form) {
    var select = form.querySelector("[data-upload-kind]");
    if (!select) return;
    var option = select.options[select.selectedIndex];
    var sample = form.querySelector("[data-sample-fields]");
    if (sample) sample.hidden = select.value !== "sample_data";
    var file = form.querySelector("[data-upload-file]");
    if (file) file.setAttribute("accept", option.getAttribute("data-accept") || "");
    var help = form.querySelector("[data-kind-help]");
    if (help) {
      help.textContent = (option.getAttribute("data-help") || "") + " Up to " +
        fmtBytes(parseInt(option.getAttribute("data-max-bytes"), 10) || 0) + ".";
    }
  }

  function init(root) {
    var scope = root && root.querySelectorAll ? root : doc;
    var forms = scope.querySelectorAll("form.upload-form");
    for (var i = 0; i < forms.length; i++) syncKind(forms[i]);
    if (scope.matches && scope.matches("form.upload-form")) syncKind(scope);
  }

  doc.addEventListener("change", function (evt) {
    var t = evt.target;
    if (t && t.matches && t.matches("[data-upload-kind]")) syncKind(t.form);
  });

  // A removal answered by the server (HX-Trigger) started a run: show it.
  doc.addEventListener("artifact-run-started", function (evt) {
    showRun(evt.detail && evt.detail.run_panel_url);
  });

  if (doc.readyState === "loading") {
    doc.addEventListener("DOMContentLoaded", function () { init(doc); });
  } else {
    init(doc);
  }
  doc.addEventListener("htmx:load", function (evt) { init(evt.target); });
})();
