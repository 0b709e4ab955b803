// Counts down to a drop's start on the page (the server already wrote the time left, so the
// page reads well without JavaScript), in the page's own words ("Opens in 2 h 05 min"), and
// reloads once the start has come.
document.querySelectorAll('.countdown[data-starts]').forEach((el) => {
  const starts = Number(el.dataset.starts) * 1000;
  const pad = (n) => String(n).padStart(2, '0');
  const say = (words, h, m, s) => words.replace('{h}', String(h)).replace('{m}', h > 0 ? pad(m) : String(m)).replace('{s}', pad(s));
  const tick = () => {
    const left = Math.max(0, Math.round((starts - Date.now()) / 1000));
    const h = Math.floor(left / 3600);
    const m = Math.floor((left % 3600) / 60);
    const s = left % 60;
    const words = h > 0 ? el.dataset.hours : el.dataset.minutes;
    el.textContent = words ? say(words, h, m, s) : (h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`);
    if (left === 0) { clearInterval(timer); setTimeout(() => location.reload(), 1500); }
  };
  const timer = setInterval(tick, 1000);
  tick();
});
