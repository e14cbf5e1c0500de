// The task page: after a refused form, move the focus to the list of problems (its links lead to the fields).
(function () {
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
