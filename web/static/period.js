// The period form: the date field takes the picker of the period chosen (a day, a month),
// a typed quarter or year, or two days for 自定义. A file, not inline: the CSP forbids those.
document.addEventListener("DOMContentLoaded", function () {
  var period = document.querySelector("select[data-period]");
  if (!period) return;
  var form = period.form;
  var single = document.getElementById(period.dataset.single);
  var range = document.getElementById(period.dataset.range);
  period.addEventListener("change", function () {
    var custom = period.value === "range";
    var wanted = {day: "date", month: "month"}[period.value] || "text";
    if (form.elements.date.type !== wanted) {
      form.elements.date.type = wanted;
      form.elements.date.value = "";  // 2026-11 is no day, 2026-11-05 no quarter
    }
    single.hidden = custom;
    range.hidden = !custom;
    form.elements.date.disabled = custom;  // a disabled field is not sent
    form.elements.start.disabled = form.elements.end.disabled = !custom;
  });
});
