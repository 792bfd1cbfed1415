// 花名册导入: the "下载本项目模板" link follows the project chosen in the upload form, with no reload.
(function () {
  "use strict";
  var select = document.getElementById("roster-project");
  var link = document.querySelector("[data-testid=project-template]");
  var hint = document.querySelector("[data-testid=project-template-hint]");
  if (!select || !link) return;
  function follow() {
    var id = select.value;
    if (/^\d+$/.test(id)) {
      link.href = link.dataset.base + "?project_id=" + id;
      link.classList.remove("disabled");
      link.removeAttribute("aria-disabled");
      if (hint) hint.classList.add("d-none");
    } else {
      link.removeAttribute("href");
      link.classList.add("disabled");
      link.setAttribute("aria-disabled", "true");
      if (hint) hint.classList.remove("d-none");
    }
  }
  select.addEventListener("change", follow);
  follow();
})();
