using Agent.Llama.Native;

namespace Agent.Llama.Ggml;

/// <summary>
/// A compute graph in a <see cref="GgmlContext"/>. <see cref="BuildForwardExpand"/> counts the nodes and leaves it would
/// add (ggml aborts when a graph overflows) and throws <see cref="GgmlCapacityException"/> instead.
/// </summary>
public sealed class GgmlGraph
{
    private readonly GgmlContext _context;
    private readonly IntPtr _graph;
    private readonly HashSet<IntPtr> _visited = [];
    private int _nodes;
    private int _leafs;

    internal GgmlGraph(GgmlContext context, IntPtr graph, int size)
    {
        _context = context;
        _graph = graph;
        Size = size;
    }

    /// <summary>The node capacity (also the leaf capacity).</summary>
    public int Size { get; }

    /// <summary>Number of op nodes (parameters count as nodes).</summary>
    public int NodeCount => NativeMethods.ggml_graph_n_nodes(Pointer);

    /// <summary>Number of leaves (constants and inputs) added through <see cref="BuildForwardExpand"/>.</summary>
    public int LeafCount => _leafs;

    internal GgmlContext Context => _context;

    internal IntPtr Pointer
    {
        get
        {
            ((IGgmlTensorOwner)_context).ThrowIfDisposed();
            return _graph;
        }
    }

    /// <summary>The node at <paramref name="index"/> (negative counts from the end: -1 is the last).</summary>
    public GgmlTensor Node(int index)
    {
        var count = NodeCount;
        if (index >= count || index < -count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The graph has {count} nodes.");
        }

        return _context.Wrap(NativeMethods.ggml_graph_node(Pointer, index));
    }

    /// <summary>Adds <paramref name="tensor"/> and everything it depends on to the graph.</summary>
    /// <exception cref="GgmlCapacityException">The graph would exceed <see cref="Size"/> nodes or leaves.</exception>
    public void BuildForwardExpand(GgmlTensor tensor)
    {
        var p = tensor.Pointer;
        var added = new HashSet<IntPtr>();
        var (nodes, leafs) = Count(p, added);
        if (_nodes + nodes > Size || _leafs + leafs > Size)
        {
            throw new GgmlCapacityException(
                $"The graph holds {Size} nodes and {Size} leaves; adding '{tensor.Name}' would make {_nodes + nodes} nodes and {_leafs + leafs} leaves. Create it with a larger size.");
        }

        NativeMethods.ggml_build_forward_expand(Pointer, p);
        _visited.UnionWith(added);
        _nodes += nodes;
        _leafs += leafs;
    }

    /// <summary>Counts what ggml_visit_parents would add: nodes are ops and parameters, leaves are the rest.</summary>
    internal (int Nodes, int Leafs) Count(IntPtr root, HashSet<IntPtr> added)
    {
        int nodes = 0, leafs = 0;
        var stack = new Stack<IntPtr>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            if (_visited.Contains(t) || !added.Add(t))
            {
                continue;
            }

            for (var i = 0; i < GgmlTensorLayout.MaxSrc; i++)
            {
                var src = GgmlTensorLayout.ReadSrc(t, i);
                if (src != IntPtr.Zero)
                {
                    stack.Push(src);
                }
            }

            if (GgmlTensorLayout.ReadOp(t) == 0 && (GgmlTensorLayout.ReadFlags(t) & GgmlTensorLayout.FlagParam) == 0)
            {
                leafs++;
            }
            else
            {
                nodes++;
            }
        }

        return (nodes, leafs);
    }
}
