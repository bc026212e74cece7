<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>CallPage</name>
    <message>
        <location filename="../../ui/main_window.py" line="94"/>
        <source>Say something (type it)…</source>
        <translation>说点什么（请输入）…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="95"/>
        <source>Call</source>
        <translation>通话</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="97"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="99"/>
        <source>Hang up</source>
        <translation>挂断</translation>
    </message>
</context>
<context>
    <name>ChatPage</name>
    <message>
        <location filename="../../ui/main_window.py" line="65"/>
        <source>Write a message…</source>
        <translation>写一条消息…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="66"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="67"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="142"/>
        <source>Chat</source>
        <translation>聊天</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="143"/>
        <source>Call view</source>
        <translation>通话视图</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="187"/>
        <source>Verified</source>
        <translation>已验证</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="187"/>
        <source>Unverified</source>
        <translation>未验证</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="211"/>
        <source>Verified · likeness by {owner}</source>
        <translation>已验证 · 肖像授权方：{owner}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="212"/>
        <source>Unverified · {owner}</source>
        <translation>未验证 · {owner}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="215"/>
        <source>You are talking to an AI persona. {text}</source>
        <translation>你正在与 AI 角色交谈。{text}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="222"/>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="256"/>
        <source> (interrupted)</source>
        <translation>（已打断）</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="303"/>
        <source>No voice or speaker: replies appear as captions.</source>
        <translation>没有语音或扬声器：回复将以字幕显示。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="355"/>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="373"/>
        <source>Some parts are missing</source>
        <translation>缺少部分组件</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="374"/>
        <source>Open the models folder</source>
        <translation>打开模型文件夹</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="387"/>
        <source>first word</source>
        <translation>首个词</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="388"/>
        <source>first sound</source>
        <translation>首个声音</translation>
    </message>
</context>
</TS>
