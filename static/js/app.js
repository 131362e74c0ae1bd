// 隐患清单: the little the pages need beyond htmx. Everything works without it, only less smoothly.
(function () {
  "use strict";

  // The navigation folds behind its button at phone width (Bootstrap's markup, without its 80 KB script).
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
    var toggler = event.target.closest("[data-bs-toggle=collapse]");
    if (!toggler) return;
    var target = document.querySelector(toggler.dataset.bsTarget);
    var open = target.classList.toggle("show");
    toggler.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // Enter in a search box inside a form searches; it must not send the form around it.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches("input[data-search-only]")) event.preventDefault();
  });

  // A form is sent once: the button is disabled on submit (the server also ignores a repeat).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-once]")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = true;
      button.dataset.label = button.textContent;
      button.textContent = "正在提交…";
    });
  });
  // Coming back with the browser's back button must not leave the form locked.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = false;
        if (button.dataset.label) button.textContent = button.dataset.label;
      });
    });
  });

  // Previews of the photos chosen or taken, before they are sent.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches("input[data-photo-input]")) return;
    var box = input.closest("[data-photos]").querySelector("[data-photo-previews]");
    box.querySelectorAll("[data-for='" + (input.dataset.slot || "") + "']").forEach(function (node) { node.remove(); });
    input.dataset.slot = input.dataset.slot || String(Math.random()).slice(2);
    Array.prototype.forEach.call(input.files, function (file) {
      var item;
      if (file.type.indexOf("image/") === 0) {
        item = document.createElement("img");
        item.src = URL.createObjectURL(file);
        item.alt = file.name;
      } else {
        item = document.createElement("span");
        item.className = "badge text-bg-light border";
        item.textContent = file.name;
      }
      item.dataset.for = input.dataset.slot;
      box.appendChild(item);
    });
  });

  // The 重大 fields of 列单 show only for a major hazard.
  function toggleMajor() {
    var level = document.querySelector(".hazard-form select[name=level]");
    if (!level) return;
    document.querySelectorAll("[data-major-only]").forEach(function (node) {
      node.hidden = level.value !== "major";
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches(".hazard-form select[name=level]")) toggleMajor();
  });
  document.addEventListener("DOMContentLoaded", toggleMajor);

  // A progress bar's width is set here, not in a style attribute: the Content-Security-Policy
  // (config/settings.py) allows no inline style. Again after each htmx swap, as the job's fragment polls.
  function fillProgress() {
    document.querySelectorAll(".progress-bar[data-percent]").forEach(function (bar) {
      bar.style.width = bar.dataset.percent + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", fillProgress);
  document.addEventListener("htmx:after:settle", fillProgress);
})();

// The list's filters are open at a desk; on a phone they fold behind their button, above the results.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("details[data-filters]");
    if (box && window.matchMedia("(min-width: 768px)").matches) box.open = true;
  });
})();
