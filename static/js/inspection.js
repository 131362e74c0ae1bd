// 隐患清单 · an inspection answered item by item on a phone. Each tap saves that item at once; an answer the
// network did not carry is kept in this browser (localStorage) and sent again when the connection returns,
// so a lost connection loses nothing. Without this script each tap is an ordinary form post.
(function () {
  "use strict";

  var KEY = "inspection-answers";
  var inflight = {};

  function pending() {
    try { return JSON.parse(localStorage.getItem(KEY) || "{}"); } catch (e) { return {}; }
  }

  function keep(all) {
    localStorage.setItem(KEY, JSON.stringify(all));
    var count = Object.keys(all).length;
    var banner = document.querySelector("[data-pending]");
    if (banner) {
      banner.hidden = count === 0;
      banner.textContent = count + " 项检查结果尚未保存到服务器，网络恢复后会自动保存，请勿清除浏览器数据。";
    }
  }

  function card(url) {
    var form = document.querySelector("form[data-answer][action='" + url + "']");
    return form ? form.closest("[data-item]") : null;
  }

  function say(url, text) {
    var item = card(url);
    if (item) item.querySelector("[data-sync-state]").textContent = text;
  }

  function send(url) {
    if (inflight[url]) return;
    var fields = pending()[url];
    if (!fields) return;
    inflight[url] = true;
    var body = new FormData();
    Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
    fetch(url, { method: "POST", body: body, headers: { "X-Fragment": "1" }, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (html) {
          inflight[url] = false;
          if (response.redirected || response.status >= 500) {
            // Signed out (the login page) or the server failed: keep the answer and try again later.
            say(url, response.redirected ? "登录已过期：请重新登录，本项会自动保存。" : "保存失败，稍后自动重试。");
            return;
          }
          var all = pending();
          var newer = JSON.stringify(all[url]) !== JSON.stringify(fields);
          if (!newer) { delete all[url]; keep(all); }
          var item = card(url);
          if (item) item.outerHTML = html;
          countAnswered();
          if (newer) send(url);
        });
      }, function () {
        inflight[url] = false;
        say(url, "未保存：网络中断，恢复后自动重发。");
      });
  }

  // 已检查 n / N: the items whose answer the server holds.
  function countAnswered() {
    var counter = document.querySelector("[data-answered]");
    if (counter) counter.textContent = document.querySelectorAll("[data-item][data-answered-item]").length;
  }

  function sendAll() {
    Object.keys(pending()).forEach(send);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-answer]")) return;
    event.preventDefault();
    var button = event.submitter;
    var url = form.getAttribute("action");
    form.querySelectorAll("button[name=result]").forEach(function (other) {
      if (other === button) other.setAttribute("data-chosen", ""); else other.removeAttribute("data-chosen");
    });
    var all = pending();
    all[url] = {
      csrfmiddlewaretoken: form.elements.csrfmiddlewaretoken.value,
      result: button ? button.value : "",
      comment: form.elements.comment.value
    };
    keep(all);
    say(url, "正在保存…");
    send(url);
  });

  window.addEventListener("online", sendAll);
  setInterval(sendAll, 5000);
  keep(pending());
  sendAll();
})();
