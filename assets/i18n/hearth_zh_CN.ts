<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Banner</name>
    <message>
        <location filename="../../desktop/ui/banner.py" line="60"/>
        <source>Hearth needs its voice and thinking models before this persona can talk. Setup gets the ones that suit this computer, in one step.</source>
        <translation>这个角色要先有声音和思考模型才能说话。“设置”会一步下载适合这台电脑的模型。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/banner.py" line="63"/>
        <source>Set up…</source>
        <translation>设置…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/banner.py" line="67"/>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/banner.py" line="70"/>
        <source>Needs your attention</source>
        <translation>需要你留意</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/banner.py" line="72"/>
        <source>Open the models folder</source>
        <translation>打开模型文件夹</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/banner.py" line="74"/>
        <source>I have read this</source>
        <translation>我已看过</translation>
    </message>
</context>
<context>
    <name>CallControl</name>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="44"/>
        <source>Call started</source>
        <translation>通话开始</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="50"/>
        <source>No voice or speaker: replies appear as captions.</source>
        <translation>没有语音或扬声器：回复将以字幕显示。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="53"/>
        <source>Connecting…</source>
        <translation>正在接通…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="72"/>
        <source>Type to talk.</source>
        <translation>请打字交谈。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="82"/>
        <location filename="../../desktop/ui/call_control.py" line="95"/>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="93"/>
        <source>Listening…</source>
        <translation>正在听…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="93"/>
        <source>Muted</source>
        <translation>已静音</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="94"/>
        <source>No microphone: type to talk.</source>
        <translation>没有麦克风：请打字交谈。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="107"/>
        <source>System default microphone</source>
        <translation>系统默认麦克风</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="108"/>
        <source>System default speaker</source>
        <translation>系统默认扬声器</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="170"/>
        <source>Call ended · {length}</source>
        <translation>通话结束 · {length}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="187"/>
        <source>transcript</source>
        <translation>识别</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="187"/>
        <source>first word</source>
        <translation>首个词</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="188"/>
        <source>first sound</source>
        <translation>首个声音</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="189"/>
        <source>end of speech</source>
        <translation>说完</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="189"/>
        <source>sent</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/call_control.py" line="198"/>
        <source>this computer is busy with other programs ({cores:.1f} cores)</source>
        <translation>这台电脑正忙于其他程序（占用 {cores:.1f} 个核心）</translation>
    </message>
</context>
<context>
    <name>CallPage</name>
    <message>
        <location filename="../../desktop/ui/pages.py" line="175"/>
        <source>Say something (type it)…</source>
        <translation>说点什么（请输入）…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/pages.py" line="176"/>
        <source>Call</source>
        <translation>通话</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/pages.py" line="178"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/pages.py" line="180"/>
        <source>Hang up</source>
        <translation>挂断</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/pages.py" line="185"/>
        <source>Mute</source>
        <translation>静音</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/pages.py" line="188"/>
        <source>Latency</source>
        <translation>延迟</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/pages.py" line="193"/>
        <source>Microphone</source>
        <translation>麦克风</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/pages.py" line="194"/>
        <source>Speaker</source>
        <translation>扬声器</translation>
    </message>
</context>
<context>
    <name>ChatMessages</name>
    <message>
        <location filename="../../desktop/ui/chat_messages.py" line="65"/>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/chat_messages.py" line="93"/>
        <source>Edit message</source>
        <translation>编辑消息</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/chat_messages.py" line="94"/>
        <source>What the message says from now on (the persona reads it so in what follows):</source>
        <translation>这条消息今后的内容（角色在之后的对话中会按此理解）：</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/chat_messages.py" line="109"/>
        <source>Delete message</source>
        <translation>删除消息</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/chat_messages.py" line="111"/>
        <source>Delete this message?

“{text}”</source>
        <translation>删除这条消息？

“{text}”</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/chat_messages.py" line="112"/>
        <source>The persona will no longer read it. What Hearth remembered from it stays in Memory, where you can forget it.</source>
        <translation>角色将不再读到它。Hearth 从中记住的内容仍保留在“记忆”里，你可以在那里将其遗忘。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/chat_messages.py" line="115"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/chat_messages.py" line="138"/>
        <source>something went wrong inside Hearth. Please report it, with Hearth&apos;s log.</source>
        <translation>Hearth 内部出了问题。请连同 Hearth 的日志一起报告。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/chat_messages.py" line="139"/>
        <source>The message was not changed: {why}</source>
        <translation>消息未被修改：{why}</translation>
    </message>
</context>
<context>
    <name>ChatPage</name>
    <message>
        <location filename="../../desktop/ui/pages.py" line="133"/>
        <source>Write a message…</source>
        <translation>写一条消息…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/pages.py" line="134"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/pages.py" line="135"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/pages.py" line="137"/>
        <source>Again</source>
        <translation>重写</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/pages.py" line="138"/>
        <source>Write the last reply again</source>
        <translation>把上一条回答重新写一遍</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/pages.py" line="140"/>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/pages.py" line="141"/>
        <source>Start afresh; what it remembers about you stays</source>
        <translation>重新开始；它记得的关于你的事会保留</translation>
    </message>
</context>
<context>
    <name>CreatorDialog</name>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="114"/>
        <source>Create a persona</source>
        <translation>创建角色</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="118"/>
        <source>Preview appears here</source>
        <translation>预览显示在这里</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="121"/>
        <source>Choose a photo…</source>
        <translation>选择照片…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="122"/>
        <source>Use the webcam</source>
        <translation>使用摄像头</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="123"/>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="130"/>
        <source>Who is this persona? About 200 characters.</source>
        <translation>这个角色是谁？大约 200 字。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="133"/>
        <source>How it writes: one line each.</source>
        <translation>它的说话方式：每行一句。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="136"/>
        <source>(any voice in its language)</source>
        <translation>（该语言的任意语音）</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="141"/>
        <source>Choose…</source>
        <translation>请选择…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="142"/>
        <source>My own face</source>
        <translation>我自己的脸</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="143"/>
        <source>Someone who gave me permission</source>
        <translation>已获本人许可的人</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="144"/>
        <source>Nobody real (a drawing, a character)</source>
        <translation>不是真人（画像、角色）</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="145"/>
        <source>Add evidence of permission…</source>
        <translation>添加许可证明…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="147"/>
        <source>A signed release or a recording of them agreeing. Without it the persona stays on this computer: it can be installed, never exported.</source>
        <translation>签署的授权书或本人同意的录音。没有证明时，这个角色只留在本机：可以安装，不能导出。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="152"/>
        <source>Install</source>
        <translation>安装</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="153"/>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="156"/>
        <source>Name</source>
        <translation>名字</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="157"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="158"/>
        <source>Description</source>
        <translation>描述</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="160"/>
        <source>Samples</source>
        <translation>示例</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="161"/>
        <source>Greeting</source>
        <translation>问候语</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="162"/>
        <source>Voice</source>
        <translation>语音</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="163"/>
        <source>Whose face?</source>
        <translation>这是谁的脸？</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="202"/>
        <source>Without evidence of their permission this persona stays on this computer: install it, it cannot be exported.</source>
        <translation>没有本人许可的证明，这个角色只留在本机：可以安装，不能导出。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="207"/>
        <source>Evidence of permission</source>
        <translation>许可证明</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="210"/>
        <source>Evidence added.</source>
        <translation>已添加证明。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="243"/>
        <source>Hearth found the face. Drag a point if it is off.</source>
        <translation>Hearth 已找到面部。如有偏差，请拖动对应的点。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="229"/>
        <source>That photo cannot be read; choose a PNG or JPEG.</source>
        <translation>无法读取这张照片；请选择 PNG 或 JPEG。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="246"/>
        <source>Drag the points onto the eyes and the mouth.</source>
        <translation>把这些点拖到眼睛和嘴上。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="251"/>
        <source>Choose a photo</source>
        <translation>选择照片</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="252"/>
        <source>Images (*.png *.jpg *.jpeg)</source>
        <translation>图片 (*.png *.jpg *.jpeg)</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="266"/>
        <source>No camera could be opened. Choose a photo instead.</source>
        <translation>无法打开摄像头。请改为选择照片。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="297"/>
        <source>Choose a photo first.</source>
        <translation>请先选择照片。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="345"/>
        <source>Installed.</source>
        <translation>已安装。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="351"/>
        <source>Export the persona</source>
        <translation>导出角色</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="353"/>
        <source>Persona bundles (*.persona)</source>
        <translation>角色包 (*.persona)</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="364"/>
        <source>Exported to {path}, signed with your key.</source>
        <translation>已导出到 {path}，并用你的密钥签名。</translation>
    </message>
</context>
<context>
    <name>LibraryActions</name>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="118"/>
        <source>Trust a publisher?</source>
        <translation>信任这个发布者？</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="119"/>
        <source>A trusted publisher can vouch that a persona of a real person has that person&apos;s consent. Only add a publisher you know, with a key they gave you directly.</source>
        <translation>受信任的发布者可以担保真实人物的角色已获得本人同意。只添加你认识的发布者，并使用他们直接给你的密钥。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="126"/>
        <location filename="../../desktop/ui/library_actions.py" line="129"/>
        <location filename="../../desktop/ui/library_actions.py" line="137"/>
        <source>Publisher</source>
        <translation>发布者</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="126"/>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="129"/>
        <source>Public key:</source>
        <translation>公钥：</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="134"/>
        <source>Hearth now trusts {name}.</source>
        <translation>Hearth 现在信任 {name}。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="144"/>
        <location filename="../../desktop/ui/library_actions.py" line="152"/>
        <source>Country or region</source>
        <translation>国家或地区</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="145"/>
        <source>Your country or region (two letters, for example GB, US, CN):</source>
        <translation>您所在的国家或地区（两个字母，例如 GB、US、CN）：</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="165"/>
        <source>Choose one of your installed personas first.</source>
        <translation>请先选择一个你安装的角色。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="168"/>
        <source>Place the face</source>
        <translation>标出面部</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="177"/>
        <source>There is no face</source>
        <translation>图片里没有脸</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="180"/>
        <source>Drag the three points onto the eyes and the mouth.</source>
        <translation>把三个点拖到眼睛和嘴上。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="214"/>
        <source>Import a persona</source>
        <translation>导入角色</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="215"/>
        <source>Personas and character cards (*.persona *.png *.json *.charx)</source>
        <translation>角色包和角色卡 (*.persona *.png *.json *.charx)</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="242"/>
        <location filename="../../desktop/ui/library_actions.py" line="316"/>
        <source>verified by {publisher}</source>
        <translation>由 {publisher} 验证</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="243"/>
        <location filename="../../desktop/ui/library_actions.py" line="317"/>
        <source>unverified</source>
        <translation>未验证</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="244"/>
        <source> It replaces version {old}; your memories are kept.</source>
        <translation> 它将替换版本 {old}；你的记忆会保留。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="247"/>
        <source>{name} ({who}). Likeness owned by {owner}; subject: {subject}; allowed: {modes}; valid until: {until}.</source>
        <translation>{name}（{who}）。形象所有者：{owner}；对象：{subject}；允许：{modes}；有效期至：{until}。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="53"/>
        <location filename="../../desktop/ui/library_actions.py" line="251"/>
        <location filename="../../desktop/ui/library_actions.py" line="323"/>
        <source>no end date</source>
        <translation>无截止日期</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="45"/>
        <source>Id: {id}</source>
        <translation>编号：{id}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="46"/>
        <source>Verified: its likeness is licensed by {owner}</source>
        <translation>已验证：形象由 {owner} 授权</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="47"/>
        <source>Unverified: {owner}</source>
        <translation>未验证：{owner}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="48"/>
        <source>Subject: {subject}</source>
        <translation>对象：{subject}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="49"/>
        <source>Allowed: {modes}</source>
        <translation>允许：{modes}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="50"/>
        <source>text</source>
        <translation>文字</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="51"/>
        <source>Valid until: {date}</source>
        <translation>有效期至：{date}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="57"/>
        <source>Left out of its character card (Hearth writes its own instructions): {fields}</source>
        <translation>角色卡中未采用的内容（Hearth 使用自己的指令）：{fields}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="65"/>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="66"/>
        <source>Remove…</source>
        <translation>移除…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="79"/>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="79"/>
        <source>New name:</source>
        <translation>新名字：</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="92"/>
        <source>Remove {name}?</source>
        <translation>移除 {name}？</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="93"/>
        <source>It leaves your library. Your conversations with it are kept: export or forget them in Memory.</source>
        <translation>它会从你的角色库中移除。你们的对话会保留：可以在“记忆”中导出或忘记。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="252"/>
        <source>Install this persona?</source>
        <translation>安装这个角色？</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="254"/>
        <source>Install</source>
        <translation>安装</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="271"/>
        <source>Already installed</source>
        <translation>已经安装</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="272"/>
        <source>{name} is already installed. Replace it with this card (your conversations with it stay), or keep both?</source>
        <translation>{name} 已经安装。要用这张卡替换它（你们的对话会保留），还是两个都保留？</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="275"/>
        <source>Replace</source>
        <translation>替换</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="276"/>
        <source>Keep both</source>
        <translation>都保留</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="298"/>
        <source>Hearth could not import this file: something went wrong inside Hearth, not in the file you chose. Your library is unchanged. Please report it, with Hearth&apos;s log.</source>
        <translation>Hearth 无法导入这个文件：问题出在 Hearth 内部，而不是你选择的文件。你的角色库没有任何改动。请附上 Hearth 的日志报告这个问题。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="301"/>
        <source>Not imported</source>
        <translation>未导入</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="306"/>
        <source>The revocation list is installed.</source>
        <translation>撤销列表已安装。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="308"/>
        <source>{name} is installed from a character card (unverified, fictional).</source>
        <translation>{name} 已从角色卡安装（未验证，虚构）。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="310"/>
        <source>Imported</source>
        <translation>已导入</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="319"/>
        <source>{name} is installed ({who}). Likeness owned by {owner}; subject: {subject}; allowed: {modes}; valid until: {until}.</source>
        <translation>{name} 已安装（{who}）。形象所有者：{owner}；对象：{subject}；允许：{modes}；有效期至：{until}。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/library_actions.py" line="324"/>
        <source>Persona imported</source>
        <translation>角色已导入</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="126"/>
        <source>Import persona…</source>
        <translation>导入角色…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="128"/>
        <source>Create persona…</source>
        <translation>创建角色…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="130"/>
        <source>Trust a publisher…</source>
        <translation>信任发布者…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="132"/>
        <source>Country or region…</source>
        <translation>国家或地区…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="134"/>
        <source>Place the face…</source>
        <translation>标出面部…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="135"/>
        <source>Show Hearth where the eyes and mouth are in this persona&apos;s picture, so its face moves</source>
        <translation>告诉 Hearth 这个角色的图片里眼睛和嘴在哪里，让它的脸动起来</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="138"/>
        <source>About this persona…</source>
        <translation>关于这个角色…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="153"/>
        <source>Chat</source>
        <translation>聊天</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="154"/>
        <source>Call view</source>
        <translation>通话视图</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="155"/>
        <source>Memory</source>
        <translation>记忆</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="157"/>
        <source>Setup</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="158"/>
        <source>Settings</source>
        <translation>偏好设置</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="236"/>
        <source>Verified</source>
        <translation>已验证</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="236"/>
        <source>Unverified</source>
        <translation>未验证</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="238"/>
        <location filename="../../desktop/ui/main_window.py" line="273"/>
        <source> · until {date}</source>
        <translation> · 有效期至 {date}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="241"/>
        <source>Not available: {why}</source>
        <translation>不可用：{why}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="271"/>
        <source>Verified · likeness by {owner}</source>
        <translation>已验证 · 肖像授权方：{owner}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="272"/>
        <source>Unverified · {owner}</source>
        <translation>未验证 · {owner}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="276"/>
        <source>You are talking to an AI persona. {text}</source>
        <translation>你正在与 AI 角色交谈。{text}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="286"/>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="298"/>
        <source>Hearth could not open this persona: something went wrong inside Hearth. Please report it, with Hearth&apos;s log.</source>
        <translation>Hearth 无法打开这个角色：问题出在 Hearth 内部。请附上 Hearth 的日志报告这个问题。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="478"/>
        <source>cut off</source>
        <translation>被打断</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="478"/>
        <source>edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="479"/>
        <source>delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="479"/>
        <source>Another greeting</source>
        <translation>换一句问候</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="378"/>
        <source>You are not alone</source>
        <translation>你并不孤单</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="477"/>
        <source>Remembered:</source>
        <translation>记得：</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="477"/>
        <source>saving…</source>
        <translation>保存中…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/main_window.py" line="475"/>
        <source>You</source>
        <translation>你</translation>
    </message>
</context>
<context>
    <name>MemoryDialog</name>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="62"/>
        <source>What {name} remembers</source>
        <translation>{name} 记得的事</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="67"/>
        <source>Search memories and calls…</source>
        <translation>搜索记忆和通话…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="68"/>
        <source>Show replaced memories</source>
        <translation>显示已被替换的记忆</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="73"/>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="74"/>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="75"/>
        <location filename="../../desktop/ui/memory_view.py" line="217"/>
        <source>Pin</source>
        <translation>置顶</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="76"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="95"/>
        <source>Memories</source>
        <translation>记忆</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="96"/>
        <source>Past calls</source>
        <translation>过往通话</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="97"/>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="98"/>
        <source>Forget everything…</source>
        <translation>全部忘记…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="134"/>
        <source>Could not do that: {error}</source>
        <translation>无法完成：{error}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="168"/>
        <source> (replaced)</source>
        <translation>（已替换）</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="169"/>
        <source>you wrote it</source>
        <translation>你写的</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="170"/>
        <source>from a conversation</source>
        <translation>来自对话</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="171"/>
        <source>importance {value}/10</source>
        <translation>重要程度 {value}/10</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="182"/>
        <source>(no summary yet)</source>
        <translation>（尚无摘要）</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="185"/>
        <source>Memories ({count})</source>
        <translation>记忆（{count}）</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="186"/>
        <source>Past calls ({count})</source>
        <translation>过往通话（{count}）</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="199"/>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="217"/>
        <source>Unpin</source>
        <translation>取消置顶</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="220"/>
        <source>Add a memory</source>
        <translation>添加记忆</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="221"/>
        <source>What should {name} remember about you?</source>
        <translation>希望 {name} 记住你的什么？</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="225"/>
        <location filename="../../desktop/ui/memory_view.py" line="235"/>
        <location filename="../../desktop/ui/memory_view.py" line="241"/>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="231"/>
        <source>Edit memory</source>
        <translation>编辑记忆</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="231"/>
        <source>Memory:</source>
        <translation>记忆：</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="246"/>
        <source>Deleted.</source>
        <translation>已删除。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="250"/>
        <source>Export memories</source>
        <translation>导出记忆</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="261"/>
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="270"/>
        <source>Hearth also cleans the {count} older copies of the conversation file kept after a repair or a restore; a damaged one is deleted.</source>
        <translation>Hearth 也会清理修复或恢复后保留的 {count} 个旧的对话文件副本；已损坏的副本会被删除。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="274"/>
        <source>Forget everything?</source>
        <translation>全部忘记？</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="265"/>
        <source>Delete every memory, call and message of your conversations with {name}? Nothing of it will remain on this computer. This cannot be undone.</source>
        <translation>删除你与 {name} 的所有记忆、通话和消息？这台电脑上将不留任何痕迹。此操作无法撤销。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/memory_view.py" line="285"/>
        <source>Forgotten: {facts} memories, {turns} messages, {calls} calls.</source>
        <translation>已忘记：{facts} 条记忆、{turns} 条消息、{calls} 次通话。</translation>
    </message>
</context>
<context>
    <name>PortraitEditor</name>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="83"/>
        <source>left eye</source>
        <translation>左眼</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="83"/>
        <source>right eye</source>
        <translation>右眼</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/creator_view.py" line="84"/>
        <source>mouth</source>
        <translation>嘴</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="48"/>
        <source>Settings</source>
        <translation>偏好设置</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="51"/>
        <source>How the persona should call you</source>
        <translation>角色该怎么称呼你</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="52"/>
        <source>Your name</source>
        <translation>你的名字</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="54"/>
        <source>Short</source>
        <translation>简短</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="54"/>
        <source>Normal</source>
        <translation>适中</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="55"/>
        <source>Long</source>
        <translation>详细</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="60"/>
        <source>Replies</source>
        <translation>回答长度</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="67"/>
        <source>Its own voice</source>
        <translation>它自己的声音</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="74"/>
        <source>Voice of {name}</source>
        <translation>{name} 的声音</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="75"/>
        <source>How fast {name} speaks</source>
        <translation>{name} 的语速</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="78"/>
        <source>Microphone</source>
        <translation>麦克风</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="79"/>
        <source>Speaker</source>
        <translation>扬声器</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="81"/>
        <source>Empty: the model on this computer</source>
        <translation>留空：使用这台电脑上的模型</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="82"/>
        <source>Server on your network</source>
        <translation>你网络中的服务器</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="84"/>
        <source>Two letters, e.g. GB; empty: from the system</source>
        <translation>两个字母，例如 CN；留空：跟随系统</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="86"/>
        <source>Country or region</source>
        <translation>国家或地区</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="91"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="93"/>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="94"/>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="96"/>
        <source>Theme</source>
        <translation>外观</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="100"/>
        <source>Text size</source>
        <translation>文字大小</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="103"/>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="107"/>
        <source>Your data</source>
        <translation>你的数据</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="123"/>
        <source>System default microphone</source>
        <translation>系统默认麦克风</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/settings_view.py" line="124"/>
        <source>System default speaker</source>
        <translation>系统默认扬声器</translation>
    </message>
</context>
<context>
    <name>SetupDialog</name>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="65"/>
        <source>Set up Hearth</source>
        <translation>设置 Hearth</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="68"/>
        <source>Checking this computer…</source>
        <translation>正在检查这台电脑…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="70"/>
        <source>This computer</source>
        <translation>这台电脑</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="74"/>
        <source>How Hearth thinks and speaks</source>
        <translation>Hearth 如何思考和说话</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="82"/>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="83"/>
        <location filename="../../desktop/ui/setup_view.py" line="221"/>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="84"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="87"/>
        <source>Nothing leaves this computer except the downloads you start here.</source>
        <translation>除了你在这里开始的下载，没有任何内容离开这台电脑。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="100"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="101"/>
        <source>Installed models</source>
        <translation>已安装的模型</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="106"/>
        <source>Choose files on disk…</source>
        <translation>从磁盘选择文件…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="107"/>
        <source>Choose a recognizer folder…</source>
        <translation>选择语音识别文件夹…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="108"/>
        <source>Use a computer on my network…</source>
        <translation>使用我网络中的电脑…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="115"/>
        <source>Test this computer</source>
        <translation>测试这台电脑</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="118"/>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="159"/>
        <source> (recommended for this computer)</source>
        <translation>（推荐用于这台电脑）</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="162"/>
        <source>Light</source>
        <translation>轻量</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="162"/>
        <source>Quick, short and simple replies; runs on almost any laptop.</source>
        <translation>回答快速、简短、朴素；几乎任何笔记本都能运行。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="164"/>
        <source>Standard</source>
        <translation>标准</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="164"/>
        <source>Natural conversation with good memory; needs a recent laptop.</source>
        <translation>对话自然，记性好；需要较新的笔记本。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="166"/>
        <source>Rich</source>
        <translation>丰富</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="166"/>
        <source>The most thoughtful replies; needs a strong computer.</source>
        <translation>回答最周到；需要性能强的电脑。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="176"/>
        <source>{cores} cores, {ram} of memory, {disk} free on disk; CPU features: {features}</source>
        <translation>{cores} 核，{ram} 内存，磁盘剩余 {disk}；CPU 特性：{features}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="200"/>
        <source>language model</source>
        <translation>语言模型</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="200"/>
        <source>voice</source>
        <translation>语音</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="201"/>
        <source>speech recognizer</source>
        <translation>语音识别</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="202"/>
        <source>voice activity detector</source>
        <translation>语音活动检测</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="203"/>
        <source>face detector</source>
        <translation>面部检测器</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="221"/>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="267"/>
        <source>, about {s} s left</source>
        <translation>，约剩 {s} 秒</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="270"/>
        <source>Connecting…</source>
        <translation>正在接通…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="271"/>
        <source>Downloading {file} at {speed:.1f} MB/s{left}</source>
        <translation>正在下载 {file}，{speed:.1f} MB/秒{left}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="273"/>
        <source>Paused. Resume continues where it stopped, also after a restart.</source>
        <translation>已暂停。继续会从中断处接着下载，重启后也一样。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="275"/>
        <source>Cancelled; the partial files were deleted.</source>
        <translation>已取消；未完成的文件已删除。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="276"/>
        <source>All models are installed and verified.</source>
        <translation>所有模型已安装并校验。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="289"/>
        <source>Choose a GGUF model, a piper voice, a voice activity model or a face detector</source>
        <translation>选择 GGUF 模型、piper 语音、语音活动检测模型或人脸检测模型</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="290"/>
        <source>Models (*.gguf *.onnx)</source>
        <translation>模型 (*.gguf *.onnx)</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="296"/>
        <source>Choose a speech recognizer folder (SenseVoice from sherpa-onnx)</source>
        <translation>选择语音识别文件夹（sherpa-onnx 的 SenseVoice）</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="306"/>
        <source>Checking the files…</source>
        <translation>正在检查文件…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="312"/>
        <source>Checked and installed: {names}</source>
        <translation>已检查并安装：{names}</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="317"/>
        <source>A computer on your network</source>
        <translation>你网络中的电脑</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="318"/>
        <source>Address of an OpenAI-compatible server (llama.cpp, Ollama, vLLM).
Your conversation text will leave this computer for it.</source>
        <translation>兼容 OpenAI 的服务器地址（llama.cpp、Ollama、vLLM）。
你的对话文字将离开这台电脑发送到那里。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="345"/>
        <source>Testing this computer (about 20 seconds)…</source>
        <translation>正在测试这台电脑（约 20 秒）…</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="364"/>
        <source>Calls will feel natural here: the persona starts speaking about {seconds:.1f} s after you finish.</source>
        <translation>在这台电脑上通话会很自然：你说完后大约 {seconds:.1f} 秒，角色就开始说话。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="367"/>
        <source>Calls will feel slow here: about {seconds:.1f} s before the persona starts speaking. Choose the lighter tier, or use a stronger computer on your network.</source>
        <translation>在这台电脑上通话会偏慢：角色大约要 {seconds:.1f} 秒才开始说话。请选择更轻量的档位，或使用你网络中更强的电脑。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="372"/>
        <source>It thinks faster than it talks, so replies flow without pauses.</source>
        <translation>它想得比说得快，回答会流畅不停顿。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="374"/>
        <source>It thinks slower than it talks, so long replies may pause.</source>
        <translation>它想得比说得慢，较长的回答可能会停顿。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="376"/>
        <source>Its face moves smoothly.</source>
        <translation>它的面部动作很流畅。</translation>
    </message>
    <message>
        <location filename="../../desktop/ui/setup_view.py" line="377"/>
        <source>Its face may move in jerks on this computer.</source>
        <translation>在这台电脑上，它的面部动作可能会卡顿。</translation>
    </message>
</context>
<context>
    <name>window</name>
    <message>
        <location filename="../../desktop/ui/screenshot.py" line="174"/>
        <source>end of speech</source>
        <translation>说完</translation>
    </message>
</context>
</TS>
