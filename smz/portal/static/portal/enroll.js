/* 人脸采集 (approvals/enroll.html): take a photo with the window's camera and submit it as a data URL. */
(() => {
  "use strict";
  const video = document.getElementById("cam"), canvas = document.getElementById("shot");
  const status = document.getElementById("cam-status"), take = document.getElementById("take");
  if (!video || !canvas || !take) return;
  document.getElementById("start").addEventListener("click", async () => {
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({video: {width: {ideal: 1280}, height: {ideal: 960}}});
      take.disabled = false;
    } catch (e) { status.textContent = "无法打开摄像头：" + e.message + "。可改用下方上传照片。"; }
  });
  take.addEventListener("click", () => {
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    document.getElementById("photo_data").value = canvas.toDataURL("image/jpeg", 0.92);
    document.getElementById("cam-form").submit();
  });
})();
