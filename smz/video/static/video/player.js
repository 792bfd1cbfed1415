/* 实时视频 (video/_player.html): ask smz for the camera's play URLs, then play the HLS stream with hls.js
   (vendor/hls.min.js), or natively where the browser plays HLS itself (Safari, iOS). The demo's sample clip
   loops; a real platform's stream is live. Every failure is said in words under the picture. */
(() => {
  "use strict";
  const LEVELS = ["secondary", "success", "warning", "danger"];

  function say(box, text, level) {
    const status = box.querySelector("[data-player-status]");
    if (!status) return;
    status.textContent = text;
    for (const l of LEVELS) status.classList.toggle("alert-" + l, l === level);
  }

  function play(box, video, data) {
    if (data.sample) {
      box.querySelector("[data-sample-badge]").hidden = false;
      video.loop = true;
    }
    const started = () => say(box, data.sample
      ? "正在播放演示样片（演示城市没有真实摄像机，此画面不是现场视频）"
      : "正在播放实时视频", "success");
    video.addEventListener("playing", started, {once: true});
    // A VOD playlist (the sample) ends: start again, whatever the browser does with `loop` under MSE.
    video.addEventListener("ended", () => { video.currentTime = 0; video.play().catch(() => {}); });
    if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls({enableWorker: false});
      hls.on(window.Hls.Events.ERROR, (_event, err) => {
        if (!err.fatal) return;
        say(box, "视频流中断（" + err.details + "）：摄像机可能已离线，或本平台未被允许访问视频服务器", "danger");
        hls.destroy();
      });
      hls.on(window.Hls.Events.MANIFEST_PARSED, () => { video.play().catch(() => {}); });
      hls.loadSource(data.hls);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = data.hls;
      video.play().catch(() => {});
    } else {
      say(box, "此浏览器不支持 HLS 视频播放，请使用新版 Chrome、Edge、Firefox 或 Safari", "danger");
    }
  }

  function start(box) {
    if (box.dataset.started) return;
    box.dataset.started = "1";
    const video = box.querySelector("video");
    fetch(box.dataset.streamUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then((r) => r.json().catch(() => ({ok: false, message: "本平台返回了无法识别的内容（HTTP " + r.status + "）"})))
      .then((data) => {
        if (!data.ok) { say(box, data.message || "暂无可播放的视频流", "warning"); return; }
        say(box, "正在连接视频流…", "secondary");
        play(box, video, data);
      })
      .catch(() => say(box, "无法连接本平台，请检查网络后刷新页面", "danger"));
  }

  const init = () => document.querySelectorAll("[data-video-player]").forEach(start);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
