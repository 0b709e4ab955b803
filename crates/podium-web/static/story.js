// A story's video loads nothing from the video site until the fan asks: the button swaps
// itself for the player. Without JavaScript the link to watch it on the site remains.
document.querySelectorAll('.video-embed[data-embed]').forEach((box) => {
  const button = box.querySelector('button');
  if (!button) return;
  button.addEventListener('click', () => {
    const frame = document.createElement('iframe');
    frame.src = box.dataset.embed;
    frame.title = button.textContent;
    frame.allow = 'fullscreen; picture-in-picture';
    frame.referrerPolicy = 'strict-origin-when-cross-origin';
    frame.loading = 'lazy';
    box.replaceChildren(frame);
  });
});
