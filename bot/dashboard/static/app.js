// ClassCare dashboard launch: exchange the Mini App's initData (Telegram puts it in the
// address's fragment, which never reaches a server log) for a session, then open "today".
(function () {
  "use strict";
  var boot = document.getElementById("boot");
  if (!boot) {
    return;
  }
  function show(id) {
    document.getElementById("opening").hidden = true;
    document.getElementById(id).hidden = false;
  }
  var data = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData");
  // The signed data is spent once; it should not stay in the history either.
  history.replaceState(null, "", location.pathname);
  if (!data) {
    show("outside");
    return;
  }
  fetch("/auth/telegram", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ init_data: data }).toString()
  }).then(function (response) {
    if (response.ok) {
      location.replace("/today");
    } else {
      show("refused");
    }
  }, function () {
    show("refused");
  });
})();
