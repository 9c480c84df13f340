using System.Runtime.InteropServices;
using System.Text;
using LLama.Native;

namespace Agent.Llama;

/// <summary>A model's chat template (<c>tokenizer.chat_template</c>) and llama.cpp's own formatting of a chat with it.</summary>
public static class LlamaChatTemplates
{
    /// <summary>The model's chat template, or null when its GGUF has none (the full text, however long).</summary>
    public static string? Read(LlamaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var text = model.Handle.GetTemplate(name: null, strict: false);
        GC.KeepAlive(model);
        return text;
    }

    /// <summary>
    /// Formats <paramref name="messages"/> with <c>llama_chat_apply_template</c>: llama.cpp matches the template to one of
    /// its built-in formats (it runs no Jinja) and lays the messages out in it.
    /// </summary>
    /// <param name="template">A chat template (the model's <c>tokenizer.chat_template</c>) or a built-in name such as <c>chatml</c>.</param>
    /// <param name="messages">Role and content of each message, in order.</param>
    /// <param name="addAssistant">Whether to end with the header of an assistant turn.</param>
    /// <returns>The formatted text.</returns>
    /// <exception cref="NotSupportedException">llama.cpp does not recognise the template.</exception>
    public static unsafe string Apply(string template, IReadOnlyList<(string Role, string Content)> messages, bool addAssistant)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(messages);
        LlamaRuntime.EnsureInitialized();
        var strings = new List<IntPtr>();
        try
        {
            var chat = new LLamaChatMessage[Math.Max(1, messages.Count)];
            for (var i = 0; i < messages.Count; i++)
            {
                var role = Marshal.StringToCoTaskMemUTF8(messages[i].Role);
                strings.Add(role);
                var content = Marshal.StringToCoTaskMemUTF8(messages[i].Content);
                strings.Add(content);
                chat[i] = new LLamaChatMessage { role = (byte*)role, content = (byte*)content };
            }

            var tmpl = Marshal.StringToCoTaskMemUTF8(template);
            strings.Add(tmpl);
            var capacity = 1024 + messages.Sum(m => Encoding.UTF8.GetByteCount(m.Role) + Encoding.UTF8.GetByteCount(m.Content)) * 2;
            while (true)
            {
                var buffer = new byte[capacity];
                int n;
                fixed (LLamaChatMessage* c = chat)
                fixed (byte* b = buffer)
                {
                    n = NativeApi.llama_chat_apply_template((byte*)tmpl, c, (nuint)messages.Count, addAssistant, b, capacity);
                }

                if (n < 0)
                {
                    throw new NotSupportedException("llama.cpp does not recognise this chat template (llama_chat_apply_template returned " + n + ").");
                }

                if (n <= capacity)
                {
                    return Encoding.UTF8.GetString(buffer, 0, n);
                }

                capacity = n;
            }
        }
        finally
        {
            foreach (var s in strings)
            {
                Marshal.FreeCoTaskMem(s);
            }
        }
    }
}
