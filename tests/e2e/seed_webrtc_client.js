// client.js

async function connectToRealtimeAPI() {
    // 1. サーバーから一時キーを取得
    const tokenResponse = await fetch("/token");
    const data = await tokenResponse.json();
    const EPHEMERAL_KEY = data.value; // 一時キー

    // 2. RTCPeerConnectionを作成
    const pc = new RTCPeerConnection();
    const audioElement = document.createElement("audio");
    audioElement.autoplay = true;

    // 3. AIからの音声トラックを受信したときの処理
    pc.ontrack = (e) => (audioElement.srcObject = e.streams[0]);

    // 4. ユーザーのマイク音声トラックを追加
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    pc.addTrack(stream.getTracks()[0]);

    // 5. イベント送受信用のデータチャネルを作成
    const dc = pc.createDataChannel("oai-events");

    // 6. SDPオファーを作成してOpenAI APIに送信
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);

    const sdpResponse = await fetch("https://api.openai.com/v1/realtime/calls?model=gpt-realtime", {
        method: "POST",
        body: offer.sdp,
        headers: {
            Authorization: `Bearer ${EPHEMERAL_KEY}`, // ★一時キーを使用
            "Content-Type": "application/sdp",
        },
    });

    // 7. OpenAIからのアンサーSDPを設定
    const answer = {
        type: "answer",
        sdp: await sdpResponse.text(),
    };
    await pc.setRemoteDescription(answer);
    
    // これで接続が確立
    console.log("WebRTC connection established.");
}
