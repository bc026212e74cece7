<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>CallPage</name>
    <message>
        <location filename="../../ui/main_window.py" line="107"/>
        <source>Say something (type it)…</source>
        <translation>说点什么（请输入）…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="108"/>
        <source>Call</source>
        <translation>通话</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="110"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="112"/>
        <source>Hang up</source>
        <translation>挂断</translation>
    </message>
</context>
<context>
    <name>ChatPage</name>
    <message>
        <location filename="../../ui/main_window.py" line="78"/>
        <source>Write a message…</source>
        <translation>写一条消息…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="79"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="80"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="161"/>
        <source>Chat</source>
        <translation>聊天</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="162"/>
        <source>Call view</source>
        <translation>通话视图</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="163"/>
        <source>Memory</source>
        <translation>记忆</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="218"/>
        <source>Verified</source>
        <translation>已验证</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="218"/>
        <source>Unverified</source>
        <translation>未验证</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="244"/>
        <source>Verified · likeness by {owner}</source>
        <translation>已验证 · 肖像授权方：{owner}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="245"/>
        <source>Unverified · {owner}</source>
        <translation>未验证 · {owner}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="248"/>
        <source>You are talking to an AI persona. {text}</source>
        <translation>你正在与 AI 角色交谈。{text}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="255"/>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="314"/>
        <source> (interrupted)</source>
        <translation>（已打断）</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="366"/>
        <source>No voice or speaker: replies appear as captions.</source>
        <translation>没有语音或扬声器：回复将以字幕显示。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="420"/>
        <source>Remembered:</source>
        <translation>记得：</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="421"/>
        <source>saving…</source>
        <translation>保存中…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="424"/>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="452"/>
        <source>Some parts are missing</source>
        <translation>缺少部分组件</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="453"/>
        <source>Open the models folder</source>
        <translation>打开模型文件夹</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="466"/>
        <source>first word</source>
        <translation>首个词</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="467"/>
        <source>first sound</source>
        <translation>首个声音</translation>
    </message>
</context>
<context>
    <name>MemoryDialog</name>
    <message>
        <location filename="../../ui/memory_view.py" line="60"/>
        <source>What {name} remembers</source>
        <translation>{name} 记得的事</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="65"/>
        <source>Search memories and calls…</source>
        <translation>搜索记忆和通话…</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="66"/>
        <source>Show replaced memories</source>
        <translation>显示已被替换的记忆</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="71"/>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="72"/>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="73"/>
        <location filename="../../ui/memory_view.py" line="222"/>
        <source>Pin</source>
        <translation>置顶</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="74"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="93"/>
        <source>Memories</source>
        <translation>记忆</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="94"/>
        <source>Past calls</source>
        <translation>过往通话</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="95"/>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="96"/>
        <source>Forget everything…</source>
        <translation>全部忘记…</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="141"/>
        <source>Could not do that: {error}</source>
        <translation>无法完成：{error}</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="172"/>
        <source> (replaced)</source>
        <translation>（已替换）</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="173"/>
        <source>you wrote it</source>
        <translation>你写的</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="174"/>
        <source>from a conversation</source>
        <translation>来自对话</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="187"/>
        <source>(no summary yet)</source>
        <translation>（尚无摘要）</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="190"/>
        <source>Memories ({count})</source>
        <translation>记忆（{count}）</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="191"/>
        <source>Past calls ({count})</source>
        <translation>过往通话（{count}）</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="204"/>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="222"/>
        <source>Unpin</source>
        <translation>取消置顶</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="225"/>
        <source>Add a memory</source>
        <translation>添加记忆</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="226"/>
        <source>What should {name} remember about you?</source>
        <translation>希望 {name} 记住你的什么？</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="230"/>
        <location filename="../../ui/memory_view.py" line="240"/>
        <location filename="../../ui/memory_view.py" line="246"/>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="236"/>
        <source>Edit memory</source>
        <translation>编辑记忆</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="236"/>
        <source>Memory:</source>
        <translation>记忆：</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="251"/>
        <source>Deleted.</source>
        <translation>已删除。</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="255"/>
        <source>Export memories</source>
        <translation>导出记忆</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="266"/>
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="271"/>
        <source>Forget everything?</source>
        <translation>全部忘记？</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="272"/>
        <source>Delete every memory, call and message of your conversations with {name}? Nothing of it will remain on this computer. This cannot be undone.</source>
        <translation>删除你与 {name} 的所有记忆、通话和消息？这台电脑上将不留任何痕迹。此操作无法撤销。</translation>
    </message>
    <message>
        <location filename="../../ui/memory_view.py" line="284"/>
        <source>Forgotten: {facts} memories, {turns} messages, {calls} calls.</source>
        <translation>已忘记：{facts} 条记忆、{turns} 条消息、{calls} 次通话。</translation>
    </message>
</context>
</TS>
